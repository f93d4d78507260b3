"""RouteLLM's routing metrics over a threshold sweep (routellm/evals/evaluate.py).

A router gives each prompt a score (higher = more likely the strong model is
needed). Sweeping the threshold sends the top-scored prompts to the strong
model; each threshold gives a point (share of strong calls, mean quality).

- APGR = (AUC - weak AUC) / (strong AUC - weak AUC), AUC over strong-call share
  in [0, 1], where weak AUC = weak quality and strong AUC = strong quality
  (constant curves over a unit interval). Random routing gives about 0.5.
- CPT(x) = the smallest strong-call share whose quality reaches
  weak + x * (strong - weak).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Curve:
    """Quality, and mean cost, against the share of strong calls, one point per threshold."""

    share: Array
    quality: Array
    cost: Array
    thresholds: Array


def routing_curve(
    scores: npt.ArrayLike,
    weak_quality: npt.ArrayLike,
    strong_quality: npt.ArrayLike,
    weak_cost: npt.ArrayLike | None = None,
    strong_cost: npt.ArrayLike | None = None,
) -> Curve:
    """The curve of routing every prompt with score >= t to the strong model, for every t.

    Prompts with equal scores move together, so ties cannot be ordered in the
    router's favour. The first point is all-weak, the last all-strong.
    """
    s = np.asarray(scores, dtype=np.float64)
    w = np.asarray(weak_quality, dtype=np.float64)
    g = np.asarray(strong_quality, dtype=np.float64)
    n = len(s)
    if n == 0 or len(w) != n or len(g) != n:
        raise ValueError("scores and qualities must be non-empty and of equal length")
    wc = np.zeros(n) if weak_cost is None else np.asarray(weak_cost, dtype=np.float64)
    gc = np.zeros(n) if strong_cost is None else np.asarray(strong_cost, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    gain = np.concatenate([[0.0], np.cumsum((g - w)[order])])
    extra = np.concatenate([[0.0], np.cumsum((gc - wc)[order])])
    # Cut only where the score changes (and after the last prompt).
    cuts = np.concatenate([[0], np.nonzero(np.diff(s_sorted))[0] + 1, [n]])
    thresholds = np.concatenate([[np.inf], s_sorted[cuts[1:] - 1]])
    return Curve(
        share=cuts / n,
        quality=(w.sum() + gain[cuts]) / n,
        cost=(wc.sum() + extra[cuts]) / n,
        thresholds=thresholds,
    )


def auc(curve: Curve) -> float:
    """Area under quality against strong-call share (trapezoids)."""
    x, y = curve.share, curve.quality
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def apgr(curve: Curve) -> float:
    """Average performance gap recovered; nan when the two models score the same."""
    weak, strong = float(curve.quality[0]), float(curve.quality[-1])
    if strong == weak:
        return float("nan")
    return (auc(curve) - weak) / (strong - weak)


def cpt_point(curve: Curve, fraction: float) -> int | None:
    """Index of the first curve point that recovers `fraction` of the quality gap (None: never)."""
    weak, strong = curve.quality[0], curve.quality[-1]
    target = weak + fraction * (strong - weak)
    reached = np.nonzero(curve.quality >= target - 1e-12)[0]
    return int(reached[0]) if len(reached) else None


def cpt(curve: Curve, fraction: float) -> float:
    """Share of strong calls needed to recover `fraction` of the quality gap (1.0 if never)."""
    point = cpt_point(curve, fraction)
    return 1.0 if point is None else float(curve.share[point])


def share_for_strong_ratio(curve: Curve, ratio: float) -> float:
    """Share of strong calls needed to reach `ratio` x the all-strong quality (1.0 if never).

    RouteLLM's headline figures ("95% of GPT-4 quality") are of this kind.
    """
    reached = np.nonzero(curve.quality >= ratio * curve.quality[-1] - 1e-12)[0]
    return float(curve.share[reached[0]]) if len(reached) else 1.0


def summary(curve: Curve) -> dict[str, float]:
    """APGR, CPT(50%), CPT(80%), the share for 95% of strong quality, and the end points."""
    return {
        "apgr": apgr(curve),
        "cpt50": cpt(curve, 0.5),
        "cpt80": cpt(curve, 0.8),
        "share_95pct_strong": share_for_strong_ratio(curve, 0.95),
        "weak_quality": float(curve.quality[0]),
        "strong_quality": float(curve.quality[-1]),
    }


def random_summary(
    weak_quality: npt.ArrayLike, strong_quality: npt.ArrayLike, seeds: int = 20
) -> dict[str, float]:
    """The metrics of uniformly random scores, averaged over `seeds` draws."""
    w = np.asarray(weak_quality, dtype=np.float64)
    rows = [
        summary(routing_curve(np.random.default_rng(7919 + i).random(len(w)), w, strong_quality))
        for i in range(seeds)
    ]
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
