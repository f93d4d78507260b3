"""Evaluating a single-turn router on a profile: RouteLLM's metrics and its curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from router.learn.metrics import Curve, random_summary, routing_curve, summary
from router.learn.train import TrainingSet
from router.policy.trained_router import Router


def router_curve(router: Router, data: TrainingSet) -> Curve:
    """The threshold sweep of `router` on `data` (quality and cost against strong share)."""
    scores = router.score(data.embeddings, data.prompts)
    return routing_curve(
        scores, data.weak_quality, data.strong_quality, data.weak_cost, data.strong_cost
    )


def evaluate_router(router: Router, data: TrainingSet) -> dict[str, Any]:
    """APGR, CPT(50%), CPT(80%), the calibrated threshold's operating point, and random's."""
    scores = router.score(data.embeddings, data.prompts)
    curve = routing_curve(
        scores, data.weak_quality, data.strong_quality, data.weak_cost, data.strong_cost
    )
    strong = scores >= router.threshold
    chosen = np.where(strong, data.strong_quality, data.weak_quality)
    cost = np.where(strong, data.strong_cost, data.weak_cost)
    result: dict[str, Any] = dict(summary(curve))
    result.update(
        n=len(scores),
        kind=router.kind,
        strong=router.strong,
        weak=router.weak,
        threshold=router.threshold,
        strong_share_at_threshold=float(strong.mean()),
        quality_at_threshold=float(chosen.mean()),
        cost_usd_at_threshold=float(cost.mean()),
        random=random_summary(data.weak_quality, data.strong_quality),
    )
    return result


def curves_plot(
    curves: Sequence[tuple[str, Curve]], path: str, title: str, x: str = "share"
) -> None:
    """PNG of quality against strong-call share (or mean cost) for several curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for label, curve in curves:
        xs = curve.share if x == "share" else curve.cost
        ax.plot(xs, curve.quality, label=label, linewidth=1.4)
    if curves:
        first = curves[0][1]
        x_end = 1.0 if x == "share" else float(first.cost[-1])
        x_start = 0.0 if x == "share" else float(first.cost[0])
        ax.plot([x_start, x_end], [first.quality[0], first.quality[-1]], "k--", label="random")
    ax.set_xlabel("share of strong calls" if x == "share" else "mean cost per prompt (USD)")
    ax.set_ylabel("mean quality")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
