"""Fitting the cascade's confidence and threshold on a device profile (`tandem router fit-cascade`).

Data: a profile written by `tandem router profile-device`
(router/learn/device_profile.py): `endpoints.local.quality` is whether the
device's shown answer was right (0/1), `meta.confidence` holds the signals the
cascade sees at run time (mean token log-prob, mean entropy, word agreement of
the samples), and the cloud stand-in's endpoint (default `gpt-4`) holds the
cloud's correctness and cost on the same question.

- Split: a record is held out when the first 8 bytes of SHA-256(f"{seed}:{id}"),
  read as an integer, are 0-29 modulo 100 (about 30%); the rest trains.
- Confidence: a logistic regression of correctness on the three signals,
  fitted by Newton's method on standardised features with an L2 penalty of
  `L2` (a prior), then written back on the raw scale. A missing agreement (one
  sample) is the training mean. An empty answer (no tokens) scores 0 at run
  time, so it is left out of the fit and scored 0 in the evaluation.
- Threshold (escalate when confidence < t), chosen on the training split: the t
  that maximises mean quality minus mean cloud cost / `willingness_to_pay`
  (USD per 1.0 of quality, the `[routing]` default), where an escalated
  question gets the cloud's correctness and cost; ties go to the lower t
  (fewer escalations).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.learn.logistic import newton_logistic
from router.learn.profile import ProfileRecord
from router.policy.cascade_artifact import ConfidenceModel

Array = npt.NDArray[np.float64]
HELD_OUT_PERCENT = 30
L2 = 1.0
"""Prior: ridge penalty on the standardised weights, keeps a small profile's fit tame."""
SPLIT_RULE = (
    "held out when int(SHA-256(f'{seed}:{id}')[:8 bytes]) % 100 < 30 (about 30%); the rest trains"
)


class FitError(TandemError):
    """A profile the cascade cannot be fitted on."""


@dataclass(frozen=True)
class Example:
    """One profiled question as the cascade sees it, with both tiers' outcomes."""

    id: str
    mean_logprob: float | None
    """None for an empty answer: it scores 0 and always escalates."""
    mean_entropy: float
    agreement: float | None
    local_right: float
    cloud_right: float
    cloud_cost: float


def _signal(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def examples_from(records: Sequence[ProfileRecord], local: str, cloud: str) -> list[Example]:
    """The records with the device's confidence signals and both endpoints' outcomes."""
    found = []
    for record in records:
        conf = record.meta.get("confidence")
        if not isinstance(conf, dict) or local not in record.endpoints:
            continue
        if cloud not in record.endpoints:
            continue
        outcome = record.endpoints[cloud]
        found.append(
            Example(
                id=record.id,
                mean_logprob=_signal(conf.get("mean_logprob")),
                mean_entropy=_signal(conf.get("mean_entropy")) or 0.0,
                agreement=_signal(conf.get("agreement")),
                local_right=record.endpoints[local].quality,
                cloud_right=outcome.quality,
                cloud_cost=outcome.cost_usd,
            )
        )
    if not found:
        raise FitError(
            f"no record has the device's confidence signals and both '{local}' and '{cloud}'",
            "write the profile with `tandem router profile-device`, or pass --cloud NAME",
        )
    return found


def is_held_out(record_id: str, seed: int) -> bool:
    """The fixed split (SPLIT_RULE): the same id and seed always land on the same side."""
    digest = hashlib.sha256(f"{seed}:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < HELD_OUT_PERCENT


def split(examples: Sequence[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """(train, held-out) by `is_held_out`."""
    train = [e for e in examples if not is_held_out(e.id, seed)]
    held = [e for e in examples if is_held_out(e.id, seed)]
    return train, held


def auroc(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float | None:
    """P(a right answer scores above a wrong one), ties counted half; None with one class."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=float) >= 0.5
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return None
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def fit_confidence(train: Sequence[Example], l2: float = L2) -> ConfidenceModel:
    """The logistic confidence model on the training examples that have tokens."""
    usable = [e for e in train if e.mean_logprob is not None]
    labels = np.array([e.local_right for e in usable], dtype=float)
    if len(usable) < 4 or labels.min() == labels.max():
        raise FitError(
            f"the training split has {len(usable)} usable answers, not both right and wrong ones",
            "profile more questions (`tandem router profile-device --limit N`) and fit again",
        )
    agreements = [e.agreement for e in usable if e.agreement is not None]
    fill = float(np.mean(agreements)) if agreements else 0.0
    raw = np.array(
        [
            [e.mean_logprob or 0.0, e.mean_entropy, fill if e.agreement is None else e.agreement]
            for e in usable
        ]
    )
    mean, scale = raw.mean(axis=0), raw.std(axis=0)
    scale[scale == 0] = 1.0
    x = np.column_stack([np.ones(len(usable)), (raw - mean) / scale])
    w = newton_logistic(x, labels, l2)
    raw_w = w[1:] / scale
    intercept = float(w[0] - (raw_w * mean).sum())
    return ConfidenceModel(
        intercept=round(intercept, 6),
        w_logprob=round(float(raw_w[0]), 6),
        w_entropy=round(float(raw_w[1]), 6),
        w_agreement=round(float(raw_w[2]), 6),
        agreement_if_missing=round(fill, 6),
    )


def cascade_outcome(
    scores: Array, examples: Sequence[Example], threshold: float
) -> tuple[float, float, float]:
    """(accuracy, escalation rate, mean cloud cost) when answers below `threshold` escalate."""
    up = scores < threshold
    local = np.array([e.local_right for e in examples])
    cloud = np.array([e.cloud_right for e in examples])
    cost = np.array([e.cloud_cost for e in examples])
    quality = np.where(up, cloud, local)
    return float(quality.mean()), float(up.mean()), float(np.where(up, cost, 0.0).mean())


def choose_threshold(
    scores: Array, examples: Sequence[Example], willingness_to_pay: float
) -> float:
    """The threshold maximising quality - cost / willingness_to_pay on these examples."""
    candidates = sorted({0.0, 1.0, *(round(float(s), 4) for s in scores)})
    best, best_utility = 0.0, -math.inf
    for t in candidates:  # ascending: a tie keeps the lower threshold
        accuracy, _, cost = cascade_outcome(scores, examples, t)
        utility = accuracy - cost / willingness_to_pay
        if utility > best_utility + 1e-12:
            best, best_utility = t, utility
    return best
