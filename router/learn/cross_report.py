"""Cross-dataset report: routers trained on MMLU + GSM8K, judged on MT-Bench (issue 19).

`run_cross` computes, on RouteLLM's data (contaminated prompts dropped):

1. the label audit (topics whose strong labels score below the weak model's);
2. every (target, kind) on held-out topics of the training data (5 topic
   folds): the figure the shipped recipe selects on (weak failures ranked
   first) and APGR against the recorded gap;
3. in-domain held-out APGR (random 5-fold) of the router shipped before
   (`gap`/`mlp`) and of the selected one, pooled and per dataset;
4. every (target, kind) trained on all of MMLU + GSM8K and scored on MT-Bench:
   APGR with its 95% bootstrap interval, CPT(50%), CPT(80%), the paired
   difference selected minus before, and the order in which each sends
   MT-Bench's categories to the strong model.

MT-Bench is scored only after the kind is chosen; nothing from it is trained on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.learn.cross_dataset import (
    DEFAULT_TARGET,
    apgr_of,
    dominance_view,
    in_domain,
    label_audit,
    topic_of,
    topic_scores,
)
from router.learn.datasets import STRONG, WEAK, load_routellm
from router.learn.embed_cache import EmbeddingCache
from router.learn.metrics import random_summary, routing_curve, summary
from router.learn.targets import TARGETS
from router.learn.train import TrainingSet, train_router, training_set
from router.learn.transfer import bootstrap_apgr, group_means, paired_apgr_difference
from router.policy.trained_router import KINDS

BEFORE = ("gap", "mlp")
"""The recipe of the router shipped before this report existed."""
CONFIGS = tuple((target, kind) for target in TARGETS for kind in KINDS)
Log = Callable[[str], None]


def load_benchmarks(
    root: Path, benches: tuple[str, ...], cache: EmbeddingCache
) -> tuple[TrainingSet, list[str]]:
    """RouteLLM benchmarks (contaminated prompts dropped) as one set, and each prompt's topic."""
    records = [r for bench in benches for r in load_routellm(root, bench)]
    data = training_set(records, STRONG, WEAK, cache.embed([r.prompt for r in records]))
    return data, [topic_of(r.id) for r in records]


def mt_bench_categories(root: Path, prompts: list[str]) -> list[str]:
    """MT-Bench's category of each first-turn prompt."""
    by_prompt = {}
    for line in (root / "mt_bench_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            question = json.loads(line)
            by_prompt[str(question["turns"][0]).strip()] = str(question["category"])
    return [by_prompt[p.strip()] for p in prompts]


def _held_out_rows(
    train: TrainingSet, topics: list[str], log: Log
) -> tuple[dict[str, dict[str, float]], str]:
    """Held-out-topic figures of every config, and the kind the shipped recipe selects."""
    scores = topic_scores(train, topics, CONFIGS)
    view = dominance_view(train)
    rows = {
        f"{target}/{kind}": {
            "weak_failures_first": apgr_of(s, view),
            "recorded_gap": apgr_of(s, train),
        }
        for (target, kind), s in scores.items()
    }
    for name, row in rows.items():
        log(f"held-out topics {name}: {row['weak_failures_first']:.3f}")
    chosen = max(KINDS, key=lambda k: rows[f"{DEFAULT_TARGET}/{k}"]["weak_failures_first"])
    return rows, chosen


def _mt_bench_rows(
    train: TrainingSet, test: TrainingSet, categories: list[str], after: str
) -> dict[str, Any]:
    """Every config trained on all of `train`, scored on MT-Bench; after minus before."""
    rows: dict[str, Any] = {}
    scores = {}
    for target, kind in CONFIGS:
        router = train_router(train, kind, STRONG, WEAK, target=target)
        name = f"{target}/{kind}"
        scores[name] = router.score(test.embeddings, test.prompts)
        interval = bootstrap_apgr(scores[name], test)
        row: dict[str, Any] = dict(
            summary(routing_curve(scores[name], test.weak_quality, test.strong_quality))
        )
        row.update(
            apgr_low=interval.low,
            apgr_high=interval.high,
            strong_share_at_threshold=float((scores[name] >= router.threshold).mean()),
            category_order=list(group_means(scores[name], test, categories)),
        )
        rows[name] = row
    before = "/".join(BEFORE)
    diff = paired_apgr_difference(scores[after], scores[before], test)
    rows["difference"] = {"after": after, "before": before, **diff.__dict__}
    rows["random"] = random_summary(test.weak_quality, test.strong_quality)
    rows["category_gap"] = {k: v[1] for k, v in group_means(test.gap, test, categories).items()}
    return rows


def run_cross(root: Path, cache: EmbeddingCache, log: Log) -> dict[str, Any]:
    """The whole cross-dataset report as a JSON-ready dict."""
    train, topics = load_benchmarks(root, ("gsm8k", "mmlu"), cache)
    test, _ = load_benchmarks(root, ("mt_bench",), cache)
    categories = mt_bench_categories(root, test.prompts)
    held_out, chosen = _held_out_rows(train, topics, log)
    after = f"{DEFAULT_TARGET}/{chosen}"
    return {
        "n_train": len(train.prompts),
        "n_topics": len(set(topics)),
        "n_mt_bench": len(test.prompts),
        "label_audit": label_audit(train, topics),
        "held_out_topics": held_out,
        "selected": after,
        "in_domain": in_domain(train, topics, [BEFORE, (DEFAULT_TARGET, chosen)]),
        "mt_bench": _mt_bench_rows(train, test, categories, after),
    }


def _config_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        f"  {'target/kind':24s} {'topics:fails-first':>18s} {'topics:gap':>10s} "
        f"{'MT-Bench APGR [95% CI]':>24s} {'CPT50':>6s} {'CPT80':>6s} {'strong@thr':>10s}"
    ]
    for target, kind in CONFIGS:
        name = f"{target}/{kind}"
        held, mt = result["held_out_topics"][name], result["mt_bench"][name]
        tag = " *" if name == result["selected"] else (" b" if name == "/".join(BEFORE) else "")
        lines.append(
            f"  {name + tag:24s} {held['weak_failures_first']:18.3f} {held['recorded_gap']:10.3f} "
            f"{mt['apgr']:9.3f} [{mt['apgr_low']:.3f}, {mt['apgr_high']:.3f}] "
            f"{mt['cpt50']:6.1%} {mt['cpt80']:6.1%} {mt['strong_share_at_threshold']:10.1%}"
        )
    return lines


def format_cross(result: dict[str, Any]) -> str:
    """Plain-text table of `run_cross`'s result."""
    mt = result["mt_bench"]
    audit = ", ".join(
        f"{topic} {s:.3f} < {w:.3f} (n={n})" for topic, (s, w, n) in result["label_audit"].items()
    )
    lines = [
        f"== Trained on MMLU + GSM8K ({result['n_train']} prompts, {result['n_topics']} topics), "
        f"scored on MT-Bench ({result['n_mt_bench']} prompts) ==",
        f"label audit, strong accuracy below weak: {audit or 'none'}",
        "held-out topics: 5 folds, whole topics held out; fails-first = APGR with the strong "
        "model taken as right (selection figure), gap = APGR on the recorded labels",
        *_config_lines(result),
        f"  (* selected on held-out topics, b = shipped before; random on MT-Bench: APGR "
        f"{mt['random']['apgr']:.3f}, CPT50 {mt['random']['cpt50']:.1%}, "
        f"CPT80 {mt['random']['cpt80']:.1%})",
        "in-domain held-out (random 5-fold, recorded labels): pooled, GSM8K, MMLU, fails-first",
    ]
    for name, row in result["in_domain"].items():
        lines.append(
            f"  {name:24s} {row['pooled']:.3f}  {row['gsm8k']:.3f}  {row['mmlu']:.3f}  "
            f"{row['weak_failures_first']:.3f}"
        )
    d = mt["difference"]
    lines.append(
        f"MT-Bench APGR {d['after']} minus {d['before']}: {d['value']:+.3f} "
        f"[{d['low']:+.3f}, {d['high']:+.3f}] (paired bootstrap, 95%)"
    )
    lines.append("MT-Bench categories in the order each router sends them to the strong model:")
    for name in (d["before"], d["after"]):
        lines.append(f"  {name:24s} {' > '.join(mt[name]['category_order'])}")
    gaps = ", ".join(
        f"{c} {g:+.3f}" for c, g in sorted(mt["category_gap"].items(), key=lambda kv: -kv[1])
    )
    lines.append(f"  mean gap (GPT-4 - Mixtral): {gaps}")
    return "\n".join(lines)
