"""Does a router trained on some datasets rank the prompts of another one? Held-out tools.

Three pieces, numpy only:

- `topic_folds`: folds that hold out whole topics (an MMLU subject, all of
  GSM8K), so a score on them says how a router ranks prompts from topics it has
  never seen; a random split rewards learning which topic a prompt is from.
  Model selection for another dataset uses these folds, never that dataset.
- `bootstrap_apgr`: a 95% percentile interval of APGR, resampling prompts with
  replacement (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993,
  ch. 13), and `paired_apgr_difference` for two routers on the same prompts
  (each resample scores both, so the interval is of the difference itself).
- `group_means`: mean score and mean gap per group (an MT-Bench category),
  to see which groups a router sends to the strong model first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from router.learn.metrics import apgr, routing_curve
from router.learn.train import TrainingSet

Array = npt.NDArray[np.float64]
ROUNDS = 2000
"""Prior: resamples per interval; enough for stable 2.5/97.5 percentiles at these sizes."""


def topic_folds(
    topics: Sequence[str], folds: int = 5, seed: int = 0
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(train rows, held-out rows) per fold; every topic is held out in exactly one fold.

    Topics are shuffled (fixed seed) and dealt to the folds largest first, each
    to the fold with the fewest rows so far, so folds have similar sizes.
    """
    names = np.array(list(topics))
    unique, counts = np.unique(names, return_counts=True)
    if len(unique) < folds:
        raise ValueError(f"{len(unique)} topics cannot fill {folds} folds")
    order = np.random.default_rng(seed).permutation(len(unique))
    order = order[np.argsort(-counts[order], kind="stable")]
    sizes = np.zeros(folds, dtype=np.int64)
    fold_of: dict[str, int] = {}
    for i in order:
        f = int(np.argmin(sizes))
        fold_of[str(unique[i])] = f
        sizes[f] += counts[i]
    assigned = np.array([fold_of[str(t)] for t in names])
    rows = np.arange(len(names))
    return [(rows[assigned != f], rows[assigned == f]) for f in range(folds)]


def _apgr_of(scores: Array, weak: Array, strong: Array) -> float:
    return apgr(routing_curve(scores, weak, strong))


@dataclass(frozen=True)
class Interval:
    """A point estimate and its 95% percentile bootstrap interval."""

    value: float
    low: float
    high: float


def _resamples(n: int, rounds: int, seed: int) -> npt.NDArray[np.int64]:
    return np.random.default_rng(seed).integers(0, n, size=(rounds, n))


def bootstrap_apgr(
    scores: npt.ArrayLike, data: TrainingSet, *, rounds: int = ROUNDS, seed: int = 0
) -> Interval:
    """APGR of `scores` on `data` with its 95% interval over resampled prompts."""
    s = np.asarray(scores, dtype=np.float64)
    w, g = data.weak_quality, data.strong_quality
    values = [
        _apgr_of(s[i], w[i], g[i])
        for i in _resamples(len(s), rounds, seed)
        if g[i].sum() != w[i].sum()
    ]
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(_apgr_of(s, w, g), float(low), float(high))


def paired_apgr_difference(
    after: npt.ArrayLike,
    before: npt.ArrayLike,
    data: TrainingSet,
    *,
    rounds: int = ROUNDS,
    seed: int = 0,
) -> Interval:
    """APGR(after) - APGR(before) on the same prompts, with its paired 95% interval."""
    a, b = np.asarray(after, dtype=np.float64), np.asarray(before, dtype=np.float64)
    w, g = data.weak_quality, data.strong_quality
    values = [
        _apgr_of(a[i], w[i], g[i]) - _apgr_of(b[i], w[i], g[i])
        for i in _resamples(len(a), rounds, seed)
        if g[i].sum() != w[i].sum()
    ]
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(_apgr_of(a, w, g) - _apgr_of(b, w, g), float(low), float(high))


def group_means(
    scores: npt.ArrayLike, data: TrainingSet, groups: Sequence[str]
) -> dict[str, tuple[float, float, int]]:
    """Per group: (mean score, mean strong-weak gap, prompts), highest mean score first."""
    s = np.asarray(scores, dtype=np.float64)
    names = np.array(list(groups))
    rows = {
        str(name): (
            float(s[names == name].mean()),
            float(data.gap[names == name].mean()),
            int(np.sum(names == name)),
        )
        for name in np.unique(names)
    }
    return dict(sorted(rows.items(), key=lambda kv: -kv[1][0]))
