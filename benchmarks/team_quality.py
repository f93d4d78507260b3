"""Does a team of on-device agents answer GSM8K better than one agent, and at what token cost?

On a fixed sample of GSM8K test questions (a seeded random sample of
../shared/data/routellm/gsm8k_test.jsonl; the gold answer follows `####`), it
runs, with the bundled model through Tandem's local llama.cpp endpoint:

- single:      one agent answers;
- debate-mesh: N agents answer, R rounds of critique over a fully connected
               topology, majority vote;
- debate-ring: the same over a one-way ring;
- divide:      a planner splits the problem, N-1 workers solve the parts at
               once, the planner combines.

An answer is right when its last number equals the gold number. Per setup it
prints accuracy, model calls, tokens (prompt + generated) and messages between
agents per question, and wall time. All agents share one llama.cpp model, which
serves one call at a time, so team wall time is roughly the sum of its calls.

    nice .venv/bin/python benchmarks/team_quality.py     # 20 questions, 3 agents, 1 round
    nice .venv/bin/python benchmarks/team_quality.py --n 5 --setups single,debate-mesh
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.collab.agents import Agent  # noqa: E402
from router.collab.prompts import answer_key  # noqa: E402
from router.collab.records import TeamResult  # noqa: E402
from router.collab.run import TeamPlan, run_team  # noqa: E402
from router.collab.topology import mesh, ring, star  # noqa: E402
from router.endpoints.llama_cpp import LlamaCppEndpoint  # noqa: E402
from router.models.manager import ModelManager  # noqa: E402
from router.paths import resolve_paths  # noqa: E402
from router.types import GenerationOptions  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "routellm" / "gsm8k_test.jsonl"
SETUPS = ("single", "debate-mesh", "debate-ring", "divide")
OUT = ROOT / "benchmarks" / "out" / "team_quality.json"


@dataclass
class Tally:
    setup: str
    right: int = 0
    asked: int = 0
    calls: int = 0
    tokens: int = 0
    messages: int = 0
    message_tokens: int = 0
    wall_s: float = 0.0
    answers: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def load_sample(path: Path, n: int, seed: int) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    picked = random.Random(seed).sample(rows, n)
    return [(r["question"], r["answer"].split("####")[-1].strip().replace(",", "")) for r in picked]


async def run_setup(
    setup: str, endpoint: LlamaCppEndpoint, n_agents: int, rounds: int, options: GenerationOptions,
    question: str,
) -> TeamResult:  # fmt: skip
    if setup == "single":
        agents = [Agent(name="a1", endpoint=endpoint)]
        return await run_team(question, agents, mesh(1), TeamPlan(rounds=0, generation=options))
    agents = [Agent(name=f"a{i + 1}", endpoint=endpoint) for i in range(n_agents)]
    if setup == "divide":
        plan = TeamPlan(pattern="divide", generation=options)
        return await run_team(question, agents, star(n_agents), plan)
    topology = mesh(n_agents) if setup == "debate-mesh" else ring(n_agents)
    return await run_team(question, agents, topology, TeamPlan(rounds=rounds, generation=options))


async def main_async(args: argparse.Namespace) -> list[Tally]:
    model_path = ModelManager(resolve_paths().models_dir, args.model).resolve()
    endpoint = LlamaCppEndpoint(model_path, n_ctx=args.n_ctx, n_threads=args.threads)
    await endpoint.prepare()
    sample = load_sample(Path(args.data), args.n, args.seed)
    setups = [s for s in args.setups.split(",") if s]
    tallies = {s: Tally(s) for s in setups}
    for k, (question, gold) in enumerate(sample):
        for setup in setups:
            options = GenerationOptions(
                max_tokens=args.answer_tokens, temperature=args.temperature, seed=args.seed + k
            )
            started = time.perf_counter()
            result = await run_setup(setup, endpoint, args.agents, args.rounds, options, question)
            t = tallies[setup]
            t.wall_s += time.perf_counter() - started
            t.asked += 1
            t.right += int(answer_key(result.answer) == gold)
            t.calls += result.traffic.calls
            t.tokens += result.traffic.total_tokens
            t.messages += result.traffic.messages
            t.message_tokens += result.traffic.message_tokens
            t.answers.append(answer_key(result.answer))
            t.texts.append(result.answer)
        line = " ".join(f"{s}={tallies[s].answers[-1]!r}" for s in setups)
        print(f"[{k + 1}/{len(sample)}] gold={gold} {line}", flush=True)
    await endpoint.aclose()
    return list(tallies.values())


def print_table(tallies: list[Tally], args: argparse.Namespace) -> None:
    print(
        f"\nGSM8K, {args.n} questions (seed {args.seed}), model {args.model}, "
        f"{args.agents} agents, {args.rounds} round(s), "
        f"at most {args.answer_tokens} tokens per answer"
    )
    head = f"{'setup':<12} {'accuracy':>9} {'calls/q':>8} {'tokens/q':>9} {'msgs/q':>7} "
    print(head + f"{'msg tok/q':>9} {'s/q':>7} {'tok x single':>12}")
    base = next((t for t in tallies if t.setup == "single"), None)
    for t in tallies:
        q = max(t.asked, 1)
        ratio = t.tokens / base.tokens if base and base.tokens else float("nan")
        print(
            f"{t.setup:<12} {t.right}/{t.asked:<7} {t.calls / q:>8.1f} {t.tokens / q:>9.0f} "
            f"{t.messages / q:>7.1f} {t.message_tokens / q:>9.0f} {t.wall_s / q:>7.1f} "
            f"{ratio:>12.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="questions (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--answer-tokens", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--json", default=str(OUT), help="where to write the tallies")
    args = parser.parse_args()
    started = time.perf_counter()
    tallies = asyncio.run(main_async(args))
    print_table(tallies, args)
    wall = time.perf_counter() - started
    print(f"wall time {wall:.0f} s")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    payload = {"args": vars(args), "wall_s": wall, "setups": [asdict(t) for t in tallies]}
    Path(args.json).write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
