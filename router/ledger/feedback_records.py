"""The records of what the user told Tandem about its answers (router/ledger/feedback.py).

Ratings, re-answer pairs, the observations routing learns from, and the Dashboard's
summary, as `FeedbackStore` returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from router.errors import TandemError

Vector = npt.NDArray[np.float32]

RATINGS_NOTE = "your ratings:"
"""How a decision's reason begins the note that the user's ratings changed its route."""


class FeedbackError(TandemError):
    """A rating or pair that cannot be stored (the turn is unknown, unanswered, ...)."""


@dataclass(frozen=True)
class Rating:
    """The user's verdict on one answer."""

    turn_id: str
    endpoint: str
    kind: str
    """The tier that answered: `local` (this device), `edge` or `cloud`."""
    good: bool
    rated_at: datetime


@dataclass(frozen=True)
class Observation:
    """A rating as routing learns from it: the tier, the verdict, the question's embedding."""

    kind: str
    endpoint: str
    good: bool
    embedding: Vector


@dataclass(frozen=True)
class AnswerPair:
    """A turn, its re-answer on the other tier, and the one the user preferred (if said)."""

    turn_id: str
    reanswer_id: str
    endpoint: str
    reanswer_endpoint: str
    preferred_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class TierCount:
    """How many answers of one tier the user rated good and bad."""

    kind: str
    good: int
    bad: int


@dataclass(frozen=True)
class FeedbackSummary:
    """What learning from use rests on, for the Dashboard."""

    tiers: tuple[TierCount, ...]
    ratings: int
    pairs: int
    preferred: dict[str, int]
    """Per tier, how many pairs the user preferred its answer in."""
    routes_changed: int
    """Turns whose route the user's ratings changed (their reason says so)."""
