"""Confidence of a local answer from its token log-probabilities and sample agreement.

Pure functions over numbers, so the cascade policy, the local endpoint and tests
share one definition. Inputs per generated token: the log-probability of the
chosen token and the entropy (nats) of the distribution it was drawn from.

The score comes from the fitted model in `assets/routing_cascade.json`
(router/policy/cascade_artifact.py, written by `tandem router fit-cascade`)
when the app ships one, else from `PRIOR`: hand-set numbers, fitted on nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from router.endpoints.base import ScoredAnswer
from router.policy.cascade_artifact import shipped_calibration


@dataclass(frozen=True)
class Confidence:
    """How sure the local model was, and the pieces that made up the score."""

    score: float
    mean_logprob: float
    mean_entropy: float
    agreement: float | None
    source: str = "prior"
    """Which scorer made `score`: "fitted" (the shipped artifact) or "prior" (hand-set)."""

    def describe(self) -> str:
        """One short phrase for a decision's reason."""
        parts = f"mean log-prob {self.mean_logprob:.2f}, entropy {self.mean_entropy:.2f}"
        if self.agreement is not None:
            parts += f", agreement {self.agreement:.2f}"
        return f"{parts}; {self.source} confidence"


class Scorer(Protocol):
    """Turns an answer's signals into a confidence in [0, 1]."""

    @property
    def source(self) -> str:
        """ "fitted" or "prior": said in the decision's reason."""
        ...

    def score(self, mean_logprob: float, mean_entropy: float, agreement: float | None) -> float:
        """The confidence from the mean log-prob, mean entropy and agreement (None: 1 sample)."""
        ...


# Priors, set by hand and fitted on no data (used when no fitted artifact ships):
# a mean log-prob of -0.6 (tokens at ~55%) maps to 0.5; entropy and disagreement
# pull down; the weights in `PriorScorer.score` are priors too.
_LOGPROB_MID, _LOGPROB_SCALE = -0.6, 0.35
_ENTROPY_MID, _ENTROPY_SCALE = 1.5, 0.6
PRIOR_THRESHOLD = 0.6
"""Prior: answers below this hand-set confidence escalate when no fitted threshold ships."""
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


class PriorScorer:
    """The hand-set confidence: weighted sigmoids of log-prob and entropy, then agreement."""

    source = "prior"

    def score(self, mean_logprob: float, mean_entropy: float, agreement: float | None) -> float:
        """Prior weights 0.6 / 0.4 for log-prob / entropy, then 0.7 / 0.3 with agreement."""
        lp_score = _sigmoid((mean_logprob - _LOGPROB_MID) / _LOGPROB_SCALE)
        h_score = _sigmoid((_ENTROPY_MID - mean_entropy) / _ENTROPY_SCALE)
        score = 0.6 * lp_score + 0.4 * h_score
        if agreement is not None:
            score = 0.7 * score + 0.3 * agreement
        return score


PRIOR = PriorScorer()


def shipped_scorer() -> Scorer:
    """The fitted model from `assets/routing_cascade.json`, else the prior."""
    calibration = shipped_calibration()
    return calibration.model if calibration is not None else PRIOR


def confidence(samples: Sequence[ScoredAnswer], scorer: Scorer | None = None) -> Confidence:
    """Combine log-prob, entropy and (with 2+ samples) agreement into a score in [0, 1].

    `scorer` None means `shipped_scorer()`. The first sample is the answer
    shown; the others only vote. An answer with no tokens scores 0, so an
    empty local reply always escalates.
    """
    used = scorer if scorer is not None else shipped_scorer()
    if not samples or not samples[0].token_logprobs:
        return Confidence(0.0, float("-inf"), float("inf"), None, used.source)
    first = samples[0]
    mean_lp = _mean(first.token_logprobs, float("-inf"))
    mean_h = _mean(first.token_entropies, 0.0)
    agree = agreement([s.text for s in samples]) if len(samples) > 1 else None
    score = used.score(mean_lp, mean_h, agree)
    return Confidence(round(score, 4), mean_lp, mean_h, agree, used.source)
