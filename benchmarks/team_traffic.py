"""Team traffic: measured messages and tokens of a debate, per topology, against the worst case.

Runs Tandem's debate protocol (independent answers, then R rounds in which each
agent sends its latest answer along its out-edges and revises, majority vote)
for N = 2..8 agents, R = 1..4 rounds, over mesh, star, ring and tree. The agents
are a deterministic fake endpoint whose answers lengthen with the context it
received (12 words, plus one per 10 words of prompt), so this measures the
protocol, not a model. Every hop is counted by the team's traffic meter.

Next to it, the paper's worst-case model for a fully connected debate:
N(N-1) exchanges per round (so N(N-1)R messages), and token traffic growing as
N^2 R^2 because each message quotes the exchanges before it; the token model
is c N(N-1) R(R+1)/2, with c fitted to the measured mesh at N=2, R=1.

    .venv/bin/python benchmarks/team_traffic.py            # table + benchmarks/out/team_traffic.png
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.collab.agents import Agent  # noqa: E402
from router.collab.fakes import growing_responder  # noqa: E402
from router.collab.run import TeamPlan, run_team  # noqa: E402
from router.collab.topology import build_topology  # noqa: E402
from router.endpoints.fake import FakeEndpoint  # noqa: E402

TOPOLOGIES = ("mesh", "star", "ring", "tree")
STYLES = {"mesh": "o-", "star": "s-", "ring": "^-", "tree": "x:"}  # star and tree can coincide
QUESTION = "A farmer has 12 cows and buys 5 more. How many cows does the farmer have now?"
OUT = ROOT / "benchmarks" / "out"


async def measure(topology: str, n: int, rounds: int) -> dict[str, Any]:
    endpoint = FakeEndpoint(growing_responder(), kind="local", context_window=1 << 20)
    agents = [Agent(name=f"a{i + 1}", endpoint=endpoint) for i in range(n)]
    result = await run_team(QUESTION, agents, build_topology(topology, n), TeamPlan(rounds=rounds))
    t = result.traffic
    return {
        "topology": topology,
        "n": n,
        "rounds": rounds,
        "messages": t.messages,
        "message_tokens": t.message_tokens,
        "total_tokens": t.total_tokens,
        "calls": t.calls,
    }


def worst_case(n: int, rounds: int, c: float) -> tuple[int, float]:
    return n * (n - 1) * rounds, c * n * (n - 1) * rounds * (rounds + 1) / 2


def plot(rows: list[dict[str, Any]], c: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    ns = sorted({int(r["n"]) for r in rows})
    rs = sorted({int(r["rounds"]) for r in rows})
    r_max, n_max = max(rs), max(ns)
    for topo in TOPOLOGIES:
        pts = [r for r in rows if r["topology"] == topo and r["rounds"] == r_max]
        left.plot(ns, [p["messages"] for p in pts], STYLES[topo], label=f"{topo} (measured)")
        pts = [r for r in rows if r["topology"] == topo and r["n"] == n_max]
        right.plot(rs, [p["message_tokens"] for p in pts], STYLES[topo], label=f"{topo}")
    left.plot(ns, [worst_case(n, r_max, c)[0] for n in ns], "k--", label="worst case N(N-1)R")
    right.plot(rs, [worst_case(n_max, r, c)[1] for r in rs], "k--", label="worst case ~N²R²")
    left.set(xlabel="agents N", ylabel="messages", title=f"messages per debate, R={r_max}")
    right.set(xlabel="rounds R", ylabel="tokens between agents", title=f"message tokens, N={n_max}")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-agents", type=int, default=8)
    parser.add_argument("--max-rounds", type=int, default=4)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    rows = [
        asyncio.run(measure(topo, n, r))
        for topo in TOPOLOGIES
        for n in range(2, args.max_agents + 1)
        for r in range(1, args.max_rounds + 1)
    ]
    base = next(r for r in rows if r["topology"] == "mesh" and r["n"] == 2 and r["rounds"] == 1)
    c = base["message_tokens"] / 2  # N(N-1)R(R+1)/2 is 2 at N=2, R=1
    print(f"{'topology':<8} {'N':>2} {'R':>2} {'msgs':>6} {'worst':>6} {'msg tok':>8} ", end="")
    print(f"{'worst tok':>9} {'tok/worst':>9} {'all tok':>8} {'calls':>5}")
    for r in rows:
        w_msgs, w_tok = worst_case(int(r["n"]), int(r["rounds"]), c)
        print(
            f"{r['topology']:<8} {r['n']:>2} {r['rounds']:>2} {r['messages']:>6} {w_msgs:>6} "
            f"{r['message_tokens']:>8} {w_tok:>9.0f} {r['message_tokens'] / w_tok:>9.2f} "
            f"{r['total_tokens']:>8} {r['calls']:>5}"
        )
        r["worst_messages"], r["worst_tokens"] = w_msgs, w_tok
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "team_traffic.json").write_text(json.dumps({"c": c, "rows": rows}, indent=2))
    plot(rows, c, out / "team_traffic.png")
    print(f"wrote {out / 'team_traffic.png'} and {out / 'team_traffic.json'}")


if __name__ == "__main__":
    main()
