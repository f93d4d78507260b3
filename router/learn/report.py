"""`tandem router report`: train and evaluate everything on the public data, print the goals.

Single-turn (RouteLLM data, contaminated prompts dropped): every router kind is
scored out of fold (5-fold cross-validation within each benchmark: in-domain),
and trained on MMLU + GSM8K then scored on MT-Bench (cross-dataset, on the
shipped router's `weak_failure` target, `cross_dataset.DEFAULT_TARGET`). Sequential
(M4A1): 5-fold cross-validation over conversations; in each fold the budget
policies and the greedy predictor learn from a simulator built from the
training conversations alone (so no held-out outcome is imputed into training),
and every policy plays the held-out ones at the default budgets and at three
budgets outside the training grid. Writes `summary.json`
and PNG plots to the output folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.learn.baselines import ALL_VIEWS, constant, greedy, prompt_policy, random_policy
from router.learn.budget_env import Policy, Predictor, evaluate
from router.learn.budget_plan import sub_simulator
from router.learn.budget_rl import BUDGET_GRID, BudgetPolicy, train_policy
from router.learn.cross_dataset import DEFAULT_TARGET
from router.learn.datasets import STRONG, WEAK, load_routellm
from router.learn.embed_cache import EmbeddingCache, default_cache_dir
from router.learn.evaluation import curves_plot
from router.learn.m4a1 import Simulator, load_m4a1
from router.learn.metrics import random_summary, routing_curve, summary
from router.learn.train import TrainingSet, train_router, training_set
from router.policy.trained_router import KINDS, Router

TRAIN_BUDGETS = BUDGET_GRID
DEFAULT_BUDGET = (30.0, 0.05)
UNSEEN_BUDGETS = ((35.0, 0.03), (45.0, 0.07), (60.0, 0.10))
ROUTELLM_PUBLISHED = {
    "mt_bench": "mf: 95% of GPT-4 quality with ~26% GPT-4 calls; cost -85% at 95% quality",
    "mmlu": "cost -45% at 95% of GPT-4 quality",
    "gsm8k": "cost -35% at 95% of GPT-4 quality",
}
Log = Callable[[str], None]


def prompt_cache_file() -> Path:
    """Where the prompt-based router's yes/no decisions on M4A1 are kept."""
    return default_cache_dir().parent / "m4a1_prompt_decisions.json"


def bench_data(root: Path, bench: str, cache: EmbeddingCache) -> TrainingSet:
    """A RouteLLM benchmark (contaminated prompts dropped) as a strong/weak training set."""
    records = load_routellm(root, bench, drop_contaminated=True)
    return training_set(records, STRONG, WEAK, cache.embed([r.prompt for r in records]))


def concat(parts: Sequence[TrainingSet]) -> TrainingSet:
    """Several training sets as one."""
    return TrainingSet(
        [p for part in parts for p in part.prompts],
        np.concatenate([p.embeddings for p in parts]),
        np.concatenate([p.weak_quality for p in parts]),
        np.concatenate([p.strong_quality for p in parts]),
        np.concatenate([p.weak_cost for p in parts]),
        np.concatenate([p.strong_cost for p in parts]),
    )


def out_of_fold(data: TrainingSet, kind: str, folds: int = 5, seed: int = 0) -> npt.NDArray[Any]:
    """Every prompt's score from a router that did not see it (k-fold)."""
    order = np.random.default_rng(seed).permutation(len(data.prompts))
    scores = np.zeros(len(order))
    for f in range(folds):
        test = np.sort(order[f::folds])
        train = np.setdiff1d(order, test)
        router = train_router(data.subset(train), kind, STRONG, WEAK, seed=seed)
        test_set = data.subset(test)
        scores[test] = router.score(test_set.embeddings, test_set.prompts)
    return scores


def _metrics(scores: npt.ArrayLike, data: TrainingSet) -> tuple[dict[str, Any], Any]:
    curve = routing_curve(
        scores, data.weak_quality, data.strong_quality, data.weak_cost, data.strong_cost
    )
    return dict(summary(curve)), curve


def single_turn(root: Path, cache: EmbeddingCache, out: Path, log: Log) -> dict[str, Any]:
    """In-domain (k-fold) and cross-dataset metrics of every router kind, with plots."""
    result: dict[str, Any] = {}
    sets = {b: bench_data(root, b, cache) for b in ("gsm8k", "mmlu", "mt_bench")}
    for bench, data in sets.items():
        rows: dict[str, Any] = {"n": len(data.prompts)}
        curves = []
        for kind in KINDS:
            started = time.perf_counter()
            metrics, curve = _metrics(out_of_fold(data, kind), data)
            metrics["seconds_5_folds"] = round(time.perf_counter() - started, 2)
            rows[kind] = metrics
            curves.append((kind, curve))
            log(f"{bench} in-domain {kind}: APGR {metrics['apgr']:.3f}")
        rows["random"] = random_summary(data.weak_quality, data.strong_quality)
        curves_plot(curves, str(out / f"{bench}_in_domain.png"), f"{bench} (5-fold, in-domain)")
        result[f"{bench}/in_domain"] = rows
    train = concat([sets["gsm8k"], sets["mmlu"]])
    test = sets["mt_bench"]
    rows = {"n": len(test.prompts), "n_train": len(train.prompts)}
    curves = []
    for kind in KINDS:
        started = time.perf_counter()
        router = train_router(train, kind, STRONG, WEAK, target=DEFAULT_TARGET)  # as shipped
        seconds = time.perf_counter() - started
        metrics, curve = _metrics(router.score(test.embeddings, test.prompts), test)
        metrics["train_seconds"] = round(seconds, 2)
        metrics["decision_ms"] = decision_latency(router, test)
        rows[kind] = metrics
        curves.append((kind, curve))
        log(f"mt_bench cross-dataset {kind}: APGR {metrics['apgr']:.3f}")
    rows["random"] = random_summary(test.weak_quality, test.strong_quality)
    curves_plot(curves, str(out / "mt_bench_cross.png"), "MT-Bench (trained on MMLU+GSM8K)")
    curves_plot(curves, str(out / "mt_bench_cross_cost.png"), "MT-Bench, estimated cost", x="cost")
    result["mt_bench/cross_from_mmlu_gsm8k"] = rows
    return result


def decision_latency(router: Router, data: TrainingSet, n: int = 500) -> dict[str, float]:
    """Median and p99 milliseconds of one `route` call (embedding given), over n prompts."""
    times = []
    for i in range(min(n, len(data.prompts))):
        started = time.perf_counter()
        router.route(data.embeddings[i], data.prompts[i])
        times.append((time.perf_counter() - started) * 1000.0)
    return {"median_ms": float(np.median(times)), "p99_ms": float(np.percentile(times, 99))}


def _policies(
    sim: Simulator, train: Sequence[int], seed: int, decisions: dict[str, bool]
) -> tuple[dict[str, Policy], dict[str, float]]:
    # Learn from the training conversations alone: in the full simulator a training
    # turn's untaken actions are imputed from neighbours that may be held-out turns.
    train_sim = sub_simulator(sim, train)
    rows = list(range(len(train)))
    predictor = Predictor(train_sim, rows)
    started = time.perf_counter()
    rl = train_policy(train_sim, rows, TRAIN_BUDGETS, predictor=predictor, seed=seed)
    rl_seconds = time.perf_counter() - started
    started = time.perf_counter()
    plain = train_policy(
        train_sim, rows, TRAIN_BUDGETS, predictor=predictor, seed=seed, budget_state=False
    )
    plain_seconds = time.perf_counter() - started
    policies: dict[str, Policy] = {
        "local": constant(0),
        "cloud": constant(ALL_VIEWS),
        "cloud_text": constant(1),
        "random": random_policy,
        "greedy": greedy(predictor),
        "rl_no_budget": plain,
        "rl_budget": rl,
    }
    if decisions:
        policies["prompt"] = prompt_policy(decisions, list(predictor.action_cost))
    info = {"rl_train_seconds": rl_seconds, "rl_no_budget_train_seconds": plain_seconds}
    if rl.plan is not None:
        info.update(plan_penalty=rl.plan.penalty, plan_margin_s=rl.plan.margin_s)
    return policies, info


def sequential(path: Path, cache: EmbeddingCache, out: Path, log: Log) -> dict[str, Any]:
    """M4A1: every policy on held-out conversations (5-fold), at three budgets."""
    conversations = load_m4a1(path)
    questions = [t.question for c in conversations for t in c.turns]
    sim = Simulator(conversations, cache.embed(questions))
    decisions_file = prompt_cache_file()
    decisions: dict[str, bool] = {}
    if decisions_file.exists():
        decisions = {k: bool(v) for k, v in json.loads(decisions_file.read_text("utf-8")).items()}
    budgets = (DEFAULT_BUDGET, *UNSEEN_BUDGETS)
    order = np.random.default_rng(0).permutation(len(conversations))
    folds = 5
    episodes: dict[str, dict[str, list[dict[str, float]]]] = {}
    infos = []
    for f in range(folds):
        test = sorted(int(i) for i in order[f::folds])
        train = sorted(set(range(len(conversations))) - set(test))
        policies, info = _policies(sim, train, f, decisions)
        infos.append(info)
        for name, policy in policies.items():
            for lat, usd in budgets:
                key = f"{lat:g}s/${usd:g}"
                row = evaluate(sim, test, policy, lat, usd, seed=f)
                episodes.setdefault(key, {}).setdefault(name, []).append(row)
        log(f"m4a1 fold {f + 1}/{folds} done")
    result: dict[str, Any] = {
        "n_conversations": len(conversations),
        "prompt_decisions": {
            "file": str(decisions_file),
            "questions_decided": sum(1 for q in set(questions) if _decided(q, decisions)),
            "questions": len(set(questions)),
            "said_cloud": sum(decisions.values()),
        },
        "training": {
            "rl_train_seconds_mean": float(np.mean([i["rl_train_seconds"] for i in infos])),
            "rl_no_budget_train_seconds_mean": float(
                np.mean([i["rl_no_budget_train_seconds"] for i in infos])
            ),
            "plan_penalty": [i.get("plan_penalty") for i in infos],
            "plan_margin_s": [i.get("plan_margin_s") for i in infos],
            "train_budgets": [list(b) for b in TRAIN_BUDGETS],
        },
    }
    for key, by_policy in episodes.items():
        rows = {}
        for name, folds_rows in by_policy.items():
            n = sum(r["n"] for r in folds_rows)
            rows[name] = {
                k: float(sum(r[k] * r["n"] for r in folds_rows) / n)
                for k in folds_rows[0]
                if k != "n"
            }
            rows[name]["n"] = n
        result[key] = rows
    _budget_plot(result, budgets, out)
    return result


def _decided(question: str, decisions: dict[str, bool]) -> bool:
    from router.learn.baselines import question_key

    return question_key(question) in decisions


def _budget_plot(result: dict[str, Any], budgets: Sequence[tuple[float, float]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(budgets), figsize=(4.2 * len(budgets), 3.8))
    for ax, (lat, usd) in zip(np.atleast_1d(axes), budgets, strict=True):
        rows = result[f"{lat:g}s/${usd:g}"]
        for name, row in rows.items():
            marker = "o" if row["over_budget_rate"] <= 0.01 else "x"
            ax.scatter(row["cost_usd"], row["score"], marker=marker)
            ax.annotate(
                f"{name} ({row['over_budget_rate']:.0%})",
                (row["cost_usd"], row["score"]),
                fontsize=7,
            )
        ax.set_title(f"M4A1 held-out, budget {lat:g} s / ${usd:g}")
        ax.set_xlabel("mean cost per conversation (USD)")
        ax.set_ylabel("mean response score")
    fig.tight_layout()
    fig.savefig(out / "m4a1_budgets.png", dpi=110)
    plt.close(fig)


def train_defaults(
    root: Path, m4a1: Path, cache: EmbeddingCache, assets: Path, log: Log
) -> dict[str, Any]:
    """The shipped artifacts: the router of `cross_dataset.train_default` on all of MMLU +
    GSM8K (kind chosen on held-out topics), the RL policy on all of M4A1."""
    from router.learn.budget_rl import save_policy
    from router.learn.cross_dataset import train_default
    from router.learn.cross_report import load_benchmarks
    from router.policy.trained_router import save_router

    data, topics = load_benchmarks(root, ("gsm8k", "mmlu"), cache)
    started = time.perf_counter()
    router = train_default(
        data, topics, command="tandem router report --write-assets",
        note="trained on RouteLLM's GSM8K + MMLU outcomes (Mixtral weak, GPT-4 strong), "
        "target weak_failure, kind chosen on held-out topics",
    )  # fmt: skip
    router.meta.update(
        data=["routellm/gsm8k_responses.csv", "routellm/mmlu/*.csv"], contaminated_dropped=True
    )
    router_seconds = time.perf_counter() - started
    router_file = save_router(router, assets / "router_default.npz")
    conversations = load_m4a1(m4a1)
    sim = Simulator(
        conversations, cache.embed([t.question for c in conversations for t in c.turns])
    )
    everything = list(range(len(conversations)))
    started = time.perf_counter()
    policy: BudgetPolicy = train_policy(sim, everything, TRAIN_BUDGETS)
    policy_seconds = time.perf_counter() - started
    policy_file = save_policy(policy, assets / "budget_policy_default.npz")
    log(f"wrote {router_file} and {policy_file}")
    return {
        "router": str(router_file),
        "router_bytes": router_file.stat().st_size,
        "router_train_seconds": router_seconds,
        "policy": str(policy_file),
        "policy_bytes": policy_file.stat().st_size,
        "policy_train_seconds": policy_seconds,
        "decision_latency": decision_latency(router, data),
    }
