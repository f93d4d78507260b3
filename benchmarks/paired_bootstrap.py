"""A paired bootstrap over questions: how much of a change in accuracy is noise.

Two ways of asking the same questions give two lists of hits (right or wrong per
question). Resampling the questions with replacement, and keeping each question's
pair of hits together, gives the spread of the accuracy difference and of the
ratio of the two accuracies that another sample of the same size could show
(Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13: the
percentile interval). The seed is fixed so a rerun prints the same interval.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

ROUNDS = 2000
"""Prior: resamples per interval; enough for stable 2.5/97.5 percentiles at these sizes."""


@dataclass(frozen=True)
class PairedInterval:
    """95% percentile intervals of `sent - original` accuracy and of `sent / original`."""

    difference: tuple[float, float]
    """Accuracy difference, sent minus original, as fractions of the questions."""
    ratio: tuple[float, float]
    """Ratio of correct answers, sent over original (resamples with none right dropped)."""


def _percentile(values: Sequence[float], share: float) -> float:
    """The value at `share` of the sorted `values` (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def paired_interval(
    original: Sequence[bool], sent: Sequence[bool], *, rounds: int = ROUNDS, seed: int = 0
) -> PairedInterval:
    """The 95% intervals for `sent` against `original`, hits paired question by question."""
    if len(original) != len(sent):
        raise ValueError("both ways must answer the same questions")
    if not original:
        return PairedInterval((0.0, 0.0), (0.0, 0.0))
    pairs = list(zip(original, sent, strict=True))
    draw = random.Random(seed)
    differences: list[float] = []
    ratios: list[float] = []
    for _ in range(rounds):
        sample = draw.choices(pairs, k=len(pairs))
        base = sum(o for o, _ in sample)
        other = sum(s for _, s in sample)
        differences.append((other - base) / len(sample))
        if base:
            ratios.append(other / base)
    ratio = (_percentile(ratios, 0.025), _percentile(ratios, 0.975)) if ratios else (0.0, 0.0)
    return PairedInterval((_percentile(differences, 0.025), _percentile(differences, 0.975)), ratio)
