"""`router_learned.py --mt-bench`: the chat's `learned` quality model, cross-dataset, on MT-Bench.

The shipped quality model (`assets/routing_learned.json`, fitted on MMLU
questions only) predicts P(right) for `kind:edge` (Mixtral's recorded MMLU
correctness) and `kind:cloud` (GPT-4's). Here it routes RouteLLM's MT-Bench
prompts between those two (contaminated prompts dropped, as in
`router_training.py --cross-dataset`; the features are the chat's, from the
first turn): the largest predicted gains P(cloud right) - P(edge right) go to
GPT-4 first. MT-Bench's labels are the judge's scores of both turns, (score -
1) / 9 (router/learn/datasets.py). Metrics: RouteLLM's APGR, CPT(50%),
CPT(80%) (router/learn/metrics.py), the APGR interval from 2,000 bootstrap
resamples of the prompts (router/learn/transfer.py), against random routing
(the mean of 20 random orders, as in `tandem router report`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.router_learned import predictions
from router.learn.datasets import STRONG, WEAK, load_routellm
from router.learn.metrics import random_summary, routing_curve, summary
from router.learn.train import training_set
from router.learn.transfer import bootstrap_apgr


def evaluate_mt_bench(
    routellm: Path, artifact_file: Path, cache_dir: Path | None = None
) -> dict[str, Any]:
    """Rows of the learned gain, P(edge wrong) alone, and random routing on MT-Bench."""
    artifact = json.loads(artifact_file.read_text(encoding="utf-8"))
    records = load_routellm(routellm, "mt_bench", drop_contaminated=True)
    p_edge, p_cloud = predictions(records, artifact, cache_dir, ("kind:edge", "kind:cloud"))
    # Routing reads only the scores and labels; the router's own embeddings are not needed.
    data = training_set(records, STRONG, WEAK, np.zeros((len(records), 0)))
    scores = {"learned gain P(cloud)-P(edge)": p_cloud - p_edge, "1 - P(edge) alone": 1 - p_edge}
    rows: dict[str, dict[str, Any]] = {}
    for name, score in scores.items():
        curve = routing_curve(
            score, data.weak_quality, data.strong_quality, data.weak_cost, data.strong_cost
        )
        interval = bootstrap_apgr(score, data)
        rows[name] = {**summary(curve), "apgr_ci": (interval.low, interval.high)}
    rows["random"] = random_summary(data.weak_quality, data.strong_quality)
    return {
        "artifact": artifact_file.name,
        "fitted_on": (artifact.get("data") or {}).get("file"),
        "n": len(records),
        "edge_quality": float(data.weak_quality.mean()),
        "cloud_quality": float(data.strong_quality.mean()),
        "spread": {"edge": _spread(p_edge), "cloud": _spread(p_cloud)},
        "rows": rows,
    }


def _spread(values: np.ndarray[Any, Any]) -> tuple[float, float, float]:
    """Minimum, median and maximum of the predicted chances."""
    return float(values.min()), float(np.median(values)), float(values.max())


def format_mt_bench(result: dict[str, Any]) -> str:
    """The table printed and copied into benchmarks/README.md."""
    lines = [
        f"{result['artifact']} (fitted on {result['fitted_on']}) routing MT-Bench, "
        f"{result['n']} prompts, Mixtral (kind:edge) vs GPT-4 (kind:cloud); mean score "
        f"Mixtral {result['edge_quality']:.3f}, GPT-4 {result['cloud_quality']:.3f}",
        "| router | APGR (95% CI) | CPT(50%) | CPT(80%) |",
        "|---|---:|---:|---:|",
    ]
    for name, row in result["rows"].items():
        ci = row.get("apgr_ci")
        interval = f" ({ci[0]:.2f}-{ci[1]:.2f})" if ci else ""
        lines.append(
            f"| {name} | {row['apgr']:.3f}{interval} | {row['cpt50']:.1%} | {row['cpt80']:.1%} |"
        )
    for tier, (low, mid, high) in result["spread"].items():
        lines.append(f"predicted P(right), {tier}: min {low:.3f}, median {mid:.3f}, max {high:.3f}")
    return "\n".join(lines)
