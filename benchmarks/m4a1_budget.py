"""M4A1 budgeted routing: the budget-aware policy against every baseline, on held-out talks.

Protocol: 5-fold cross-validation over the 100 conversations (the same
permutation as `tandem router report`). In each fold a simulator is built from
the 80 training conversations only; every learned part (the predictor shared
by greedy and both RL policies, the plan and its penalty, the RL weights, the
prompt router's action costs) learns from it. Every policy then plays the 20
held-out conversations in the simulator of all 100 (the environment) at the
default budget (30 s, $0.05), at budgets outside the training grid
(`budget_rl.BUDGET_GRID`: 30/40/50 s x $0.02/0.05/0.08), and at a stress
budget that even hindsight cannot always meet.

    .venv/bin/python benchmarks/m4a1_budget.py                  # table, JSON, PNG
    .venv/bin/python benchmarks/m4a1_budget.py --write-asset    # also the shipped policy
    .venv/bin/python benchmarks/m4a1_budget.py --in-sample      # TMO's protocol (see below)
    .venv/bin/python benchmarks/m4a1_budget.py --chat           # the chat's `budget` policy

`--in-sample` is the protocol of TMO and of `tandem router sim`: the simulator
of all 100 conversations is the environment, every policy learns in it and is
scored on all its conversations; only the budgets are new. It measures how
well a policy respects budgets it was not trained on, not how it generalises
to new conversations (the 5-fold default does that).

`--chat` plays the chat's own `budget` policy object (router/policy/budget.py,
fed the `TurnFeatures` the chat would compute) in the simulator of all 100
conversations, against the shipped planner on M4A1's actions, greedy, the
prompt-based router, local, cloud, cloud text only and random, at 20 s / $0.02
and at 30 s / $0.05 (router/learn/budget_compare.py); it writes
`chat_policy.json`.

Prints a table per budget (policy, mean score, latency, cost, over-budget
rate, n), training time per fold and per-decision latency; writes
`benchmarks/out/m4a1_budget/summary.json` and `m4a1_budget.png`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.learn.baselines import (  # noqa: E402
    ALL_VIEWS,
    constant,
    greedy,
    prompt_policy,
    random_policy,
)
from router.learn.budget_env import Observation, Policy, Predictor, evaluate  # noqa: E402
from router.learn.budget_plan import sub_simulator  # noqa: E402
from router.learn.budget_rl import BUDGET_GRID, save_policy, train_policy  # noqa: E402
from router.learn.budget_tune import hindsight_over  # noqa: E402
from router.learn.embed_cache import EmbeddingCache  # noqa: E402
from router.learn.m4a1 import Simulator, load_m4a1  # noqa: E402
from router.learn.report import prompt_cache_file  # noqa: E402

DEFAULT = (30.0, 0.05)
UNSEEN = ((35.0, 0.03), (45.0, 0.07), (60.0, 0.10))
STRESS = (25.0, 0.04)
BASELINES = ("greedy", "prompt", "rl_no_budget", "local", "cloud", "cloud_text", "random")
ORDER = ("rl_budget", "plan+pg", *BASELINES)
MAX_OVER = 0.01


class Timed:
    """A policy wrapper that records how long each decision takes (ms)."""

    def __init__(self, policy: Policy) -> None:
        """Wrap `policy`."""
        self.policy, self.ms = policy, []  # type: Policy, list[float]

    def __call__(self, obs: Observation, rng: np.random.Generator) -> int:
        """Decide and time it."""
        started = time.perf_counter()
        action = self.policy(obs, rng)
        self.ms.append((time.perf_counter() - started) * 1000.0)
        return action


def fold_policies(
    sim: Simulator,
    train: Sequence[int],
    decisions: dict[str, bool],
    seed: int,
    shared: bool = False,
) -> tuple[dict[str, Policy], dict[str, Any]]:
    """Every policy, learned from a simulator of the `train` conversations only.

    `shared` learns from the rows of the simulator of all conversations instead
    (as `tandem router report` does): a training turn's imputed outcomes may
    then come from held-out turns, which leaks their logged outcomes.
    """
    if shared:
        train_sim, everything = sim, list(train)
    else:
        train_sim, everything = sub_simulator(sim, train), list(range(len(train)))
    predictor = Predictor(train_sim, everything)
    started = time.perf_counter()
    rl = train_policy(train_sim, everything, BUDGET_GRID, predictor=predictor, seed=seed)
    rl_seconds = time.perf_counter() - started
    assert rl.plan is not None
    # Ablation: the same plan plus policy-gradient residual weights.
    with_pg = train_policy(
        train_sim, everything, BUDGET_GRID, predictor=predictor, seed=seed,
        plan_penalty=rl.plan.penalty, plan_margin_s=rl.plan.margin_s, residual_episodes=3000,
    )  # fmt: skip
    started = time.perf_counter()
    plain = train_policy(
        train_sim, everything, BUDGET_GRID, predictor=predictor, seed=seed, budget_state=False
    )
    plain_seconds = time.perf_counter() - started
    policies: dict[str, Policy] = {
        "rl_budget": rl,
        "plan+pg": with_pg,
        "greedy": greedy(predictor),
        "rl_no_budget": plain,
        "local": constant(0),
        "cloud": constant(ALL_VIEWS),
        "cloud_text": constant(1),
        "random": random_policy,
    }
    if decisions:
        policies["prompt"] = prompt_policy(decisions, list(predictor.action_cost))
    info = {
        "rl_budget_train_s": rl_seconds,
        "rl_no_budget_train_s": plain_seconds,
        "penalty": rl.plan.penalty,
        "margin_s": rl.plan.margin_s,
        "penalty_tuning": rl.meta.get("penalty_tuning", {}),
    }
    return policies, info


def pooled(rows: list[dict[str, float]]) -> dict[str, float]:
    """Per-fold means pooled into means over all held-out conversations."""
    n = sum(r["n"] for r in rows)
    out = {k: float(sum(r[k] * r["n"] for r in rows) / n) for k in rows[0] if k != "n"}
    out["n"] = n
    return out


def verdict(rows: dict[str, dict[str, float]]) -> str:
    """Whether rl_budget meets the goal at this budget (see the module docstring of the note)."""
    ours = rows["rl_budget"]
    within = {k: r for k, r in rows.items() if k in BASELINES and r["over_budget_rate"] <= MAX_OVER}
    best = max(within.items(), key=lambda kv: kv[1]["score"], default=None)
    if ours["over_budget_rate"] > MAX_OVER:
        return f"NOT MET: {ours['over_budget_rate']:.0%} over budget"
    if best is None:
        return "met: within budget, and no baseline stays within budget"
    gap = ours["score"] - best[1]["score"]
    if gap > 0:
        return f"met: +{gap:.3f} over the best baseline within budget ({best[0]})"
    return f"NOT MET: {gap:+.3f} against {best[0]} (within budget)"


def table(key: str, tag: str, rows: dict[str, dict[str, float]], floor: float) -> list[str]:
    """The printed rows of one budget."""
    lines = [f"budget {key} ({tag}; hindsight lower bound on over-budget: {floor:.0%})"]
    lines.append(
        f"  {'policy':12s} {'score':>6s} {'latency_s':>9s} {'cost_usd':>9s} {'over':>5s} {'n':>4s}"
    )
    for name in ORDER:
        if name in rows:
            r = rows[name]
            lines.append(
                f"  {name:12s} {r['score']:6.3f} {r['latency_s']:9.1f} {r['cost_usd']:9.4f} "
                f"{r['over_budget_rate']:5.0%} {r['n']:4d}"
            )
    lines.append(f"  goal: {verdict(rows)}")
    return lines


def plot(result: dict[str, Any], keys: list[str], out: Path) -> None:
    """Score against cost and against latency, one column per budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(keys), figsize=(4.0 * len(keys), 7.0), squeeze=False)
    for col, key in enumerate(keys):
        for row, (metric, label) in enumerate((("cost_usd", "cost (USD)"), ("latency_s", "s"))):
            ax = axes[row][col]
            for name, r in result["budgets"][key]["policies"].items():
                inside = r["over_budget_rate"] <= MAX_OVER
                ax.scatter(r[metric], r["score"], marker="o" if inside else "x")
                ax.annotate(f"{name} {r['over_budget_rate']:.0%}", (r[metric], r["score"]), size=6)
            ax.set_title(f"{key} held-out", fontsize=9)
            ax.set_xlabel(f"mean {label} per conversation")
            ax.set_ylabel("mean response score")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def chat_main(args: argparse.Namespace) -> int:
    """`--chat`: the chat's policy object in the simulator (router/learn/budget_compare.py)."""
    from router.learn.budget_chat import CachedEmbedder
    from router.learn.budget_compare import compare, markdown

    started = time.perf_counter()
    conversations = load_m4a1(args.data)
    cache = EmbeddingCache()
    questions = [t.question for c in conversations for t in c.turns]
    sim = Simulator(conversations, cache.embed(questions))
    file = prompt_cache_file()
    decisions = json.loads(file.read_text("utf-8")) if file.exists() else {}
    result = compare(sim, decisions, CachedEmbedder(cache))
    print("\n".join(markdown(result)))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "chat_policy.json").write_text(json.dumps(result, indent=2), "utf-8")
    print(f"in {time.perf_counter() - started:.0f} s; {args.out / 'chat_policy.json'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/m4a1/M4A1.json")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/out/m4a1_budget")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write-asset", action="store_true")
    parser.add_argument(
        "--shared-sim",
        action="store_true",
        help="learn from the all-conversation simulator, as `tandem router report` (leaks)",
    )
    parser.add_argument(
        "--in-sample",
        action="store_true",
        help="TMO's protocol: learn in the simulator of all conversations, score all of them",
    )
    parser.add_argument(
        "--chat",
        action="store_true",
        help="the chat's `budget` policy against the baselines at 20 s/$0.02 and 30 s/$0.05",
    )
    args = parser.parse_args(argv)
    if args.chat:
        return chat_main(args)
    started = time.perf_counter()
    conversations = load_m4a1(args.data)
    questions = [t.question for c in conversations for t in c.turns]
    sim = Simulator(conversations, EmbeddingCache().embed(questions))
    file = prompt_cache_file()
    decisions = json.loads(file.read_text("utf-8")) if file.exists() else {}
    budgets = [(DEFAULT, "default"), *((b, "unseen") for b in UNSEEN), (STRESS, "stress")]
    order = np.random.default_rng(0).permutation(len(conversations))
    rows: dict[str, dict[str, list[dict[str, float]]]] = {}
    timers: dict[str, list[float]] = {}
    infos = []
    everything = list(range(len(conversations)))
    splits = [
        (sorted(set(everything) - set(test)), test)
        for test in (sorted(int(i) for i in order[f :: args.folds]) for f in range(args.folds))
    ]
    if args.in_sample:
        splits = [(everything, everything)]
    for f, (train, test) in enumerate(splits):
        shared = args.shared_sim or args.in_sample
        policies, info = fold_policies(sim, train, decisions, seed=f, shared=shared)
        infos.append(info)
        for name, policy in policies.items():
            timed = Timed(policy)
            for (lat, usd), _ in budgets:
                row = evaluate(sim, test, timed, lat, usd, seed=f)
                rows.setdefault(f"{lat:g}s/${usd:g}", {}).setdefault(name, []).append(row)
            timers.setdefault(name, []).extend(timed.ms)
        tuning = info["penalty_tuning"]
        print(
            f"fold {f + 1}/{len(splits)}: penalty {info['penalty']:g}, margin "
            f"{info['margin_s']:g} s; inner CV {json.dumps(tuning)}",
            file=sys.stderr,
        )
    result: dict[str, Any] = {
        "protocol": __doc__.split("\n\n")[3 if args.in_sample else 1],
        "shared_sim": args.shared_sim,
        "in_sample": args.in_sample,
        "budgets": {},
    }
    keys = []
    for (lat, usd), tag in budgets:
        key = f"{lat:g}s/${usd:g}"
        keys.append(key)
        by_policy = {name: pooled(r) for name, r in rows[key].items()}
        floor = hindsight_over(sim, range(len(conversations)), lat, usd)
        result["budgets"][key] = {
            "tag": tag,
            "hindsight_over": floor,
            "policies": by_policy,
            "goal": verdict(by_policy),
        }
        print("\n".join(table(key, tag, by_policy, floor)))
    latency = {
        name: {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99))}
        for name, ms in timers.items()
    }
    training: dict[str, Any] = {
        k: float(np.mean([i[k] for i in infos]))
        for k in ("rl_budget_train_s", "rl_no_budget_train_s")
    }
    training["penalties"] = [i["penalty"] for i in infos]
    training["margins_s"] = [i["margin_s"] for i in infos]
    training["penalty_tuning"] = [i["penalty_tuning"] for i in infos]
    result.update(decision_latency=latency, training=training)
    print(
        f"training per split ({len(splits[0][0])} conversations, this machine): rl_budget "
        f"{training['rl_budget_train_s']:.1f} s (penalty cross-validation, plan, RL), "
        f"rl_no_budget {training['rl_no_budget_train_s']:.1f} s; "
        f"penalties {training['penalties']}, margins {training['margins_s']} s"
    )
    for name in ("rl_budget", "plan+pg", "greedy", "rl_no_budget"):
        d = latency[name]
        print(f"decision latency {name}: median {d['median_ms']:.3f} ms, p99 {d['p99_ms']:.3f} ms")
    if args.write_asset:
        started_asset = time.perf_counter()
        policy = train_policy(sim, everything, BUDGET_GRID)
        policy.meta["note"] = "trained on all 100 M4A1 conversations (benchmarks/m4a1_budget.py)"
        path = save_policy(policy, ROOT / "assets" / "budget_policy_default.npz")
        seconds = time.perf_counter() - started_asset
        result["asset"] = {"path": str(path), "bytes": path.stat().st_size, "train_s": seconds}
        print(f"wrote {path} ({path.stat().st_size} bytes) in {seconds:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    result["seconds"] = time.perf_counter() - started
    (args.out / "summary.json").write_text(json.dumps(result, indent=2), "utf-8")
    plot(result, keys, args.out / "m4a1_budget.png")
    print(f"summary and plot in {args.out} ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
