"""Confidence of a local answer from its token log-probabilities and sample agreement.

Pure functions over numbers, so the cascade policy, the local endpoint and tests
share one definition. Inputs per generated token: the log-probability of the
chosen token and the entropy (nats) of the distribution it was drawn from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from router.endpoints.base import ScoredAnswer


@dataclass(frozen=True)
class Confidence:
    """How sure the local model was, and the pieces that made up the score."""

    score: float
    mean_logprob: float
    mean_entropy: float
    agreement: float | None

    def describe(self) -> str:
        """One short phrase for a decision's reason."""
        parts = f"mean log-prob {self.mean_logprob:.2f}, entropy {self.mean_entropy:.2f}"
        if self.agreement is not None:
            parts += f", agreement {self.agreement:.2f}"
        return parts


# Priors, set by hand and not yet fitted on any data (issue 19 is to fit them on a
# device profile): a mean log-prob of -0.6 (tokens at ~55%) maps to 0.5; entropy and
# disagreement pull down; the weights below are priors too.
_LOGPROB_MID, _LOGPROB_SCALE = -0.6, 0.35
_ENTROPY_MID, _ENTROPY_SCALE = 1.5, 0.6
_WORD = re.compile(r"\w+")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def _mean(values: Sequence[float], empty: float) -> float:
    return sum(values) / len(values) if values else empty


def agreement(texts: Sequence[str]) -> float:
    """Mean pairwise word-set Jaccard similarity of the samples; 1.0 for one sample."""
    sets = [frozenset(w.lower() for w in _WORD.findall(t)) for t in texts]
    pairs = [(a, b) for i, a in enumerate(sets) for b in sets[i + 1 :]]
    if not pairs:
        return 1.0
    scores = [len(a & b) / len(a | b) if a | b else 1.0 for a, b in pairs]
    return sum(scores) / len(scores)


def confidence(samples: Sequence[ScoredAnswer]) -> Confidence:
    """Combine log-prob, entropy and (with 2+ samples) agreement into a score in [0, 1].

    The first sample is the answer shown; the others only vote. An answer with
    no tokens scores 0, so an empty local reply always escalates.
    """
    if not samples or not samples[0].token_logprobs:
        return Confidence(0.0, float("-inf"), float("inf"), None)
    first = samples[0]
    mean_lp = _mean(first.token_logprobs, float("-inf"))
    mean_h = _mean(first.token_entropies, 0.0)
    lp_score = _sigmoid((mean_lp - _LOGPROB_MID) / _LOGPROB_SCALE)
    h_score = _sigmoid((_ENTROPY_MID - mean_h) / _ENTROPY_SCALE)
    score = 0.6 * lp_score + 0.4 * h_score
    agree: float | None = None
    if len(samples) > 1:
        agree = agreement([s.text for s in samples])
        score = 0.7 * score + 0.3 * agree
    return Confidence(round(score, 4), mean_lp, mean_h, agree)
