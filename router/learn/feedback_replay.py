"""Replay a profile as a user who rates every answer: how much learning from use helps.

Each turn of a held-out profile is answered by one of two endpoints, as a router
picks it; the simulated user rates the answer it got by its true correctness in the
profile (good when quality >= 0.5), and the online router learns from that rating
before the next turn, exactly as the chat does: `UserRatings.correct`
(router/policy/user_ratings.py) over the ratings so far. The static router is the
same quality model without the ratings.

Both routers, and the oracle, value an answer as the policies do
(router/policy/estimate.py `utility`, without latency): quality minus cost over the
willingness to pay. Regret after t turns is the sum over those turns of the
oracle's utility (the best endpoint for that turn, knowing the outcomes) minus the
utility of the endpoint the router picked; lower is better.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from router.ledger.feedback import Observation
from router.policy.user_ratings import RatingSource, UserRatings

Array = npt.NDArray[np.float64]
Picks = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ReplayStream:
    """A profile's turns for two endpoints: what the model predicted and what happened."""

    names: tuple[str, str]
    kinds: tuple[str, str]
    """Each endpoint's tier (`local`, `edge`, `cloud`): ratings are learned per tier."""
    embeddings: npt.NDArray[np.float32]
    """One MiniLM row per turn, of the question's opening, as the chat embeds it."""
    quality: Array
    """(turns, 2): each endpoint's true quality on the turn, in [0, 1]."""
    cost_usd: Array
    """(turns, 2): each endpoint's cost on the turn."""
    predicted: Array
    """(turns, 2): the static quality model's prediction for each endpoint."""


class MemoryRatings:
    """Ratings kept in memory: the replay's stand-in for the ledger's `FeedbackStore`."""

    def __init__(self) -> None:
        """Start with no rating."""
        self._observations: list[Observation] = []

    def add(self, observation: Observation) -> None:
        """Keep one more rating."""
        self._observations.append(observation)

    def revision(self) -> int:
        """How many ratings there are (they are only ever added)."""
        return len(self._observations)

    def observations(self) -> list[Observation]:
        """Every rating, oldest first."""
        return list(self._observations)


def utilities(stream: ReplayStream, wtp_usd: float) -> Array:
    """(turns, 2): each endpoint's true utility on each turn."""
    return stream.quality - stream.cost_usd / wtp_usd


def cumulative_regret(
    stream: ReplayStream, chosen: Picks, wtp_usd: float, order: Picks | None = None
) -> Array:
    """Regret summed over the turns in `order` (default: all, in order), one value per turn."""
    rows = np.arange(len(chosen)) if order is None else order
    value = utilities(stream, wtp_usd)[rows]
    picked = value[np.arange(len(rows)), chosen]
    return np.cumsum(value.max(axis=1) - picked)


def replay(
    stream: ReplayStream,
    order: Picks,
    *,
    wtp_usd: float,
    online: bool,
    learner_for: Callable[[RatingSource], UserRatings] = UserRatings,
) -> tuple[Array, Picks]:
    """Route the turns in `order`; with `online`, learn from each rating before the next.

    Returns the cumulative regret after each turn and the endpoint picked for each.
    `learner_for` builds the correction over the ratings (default: the chat's priors).
    """
    memory = MemoryRatings()
    learner = learner_for(memory)
    chosen = np.zeros(len(order), dtype=np.int64)
    for step, row in enumerate(order):
        embedding = stream.embeddings[row]
        quality = [
            learner.correct(float(stream.predicted[row, e]), stream.kinds[e], embedding).quality
            if online
            else float(stream.predicted[row, e])
            for e in (0, 1)
        ]
        cost = stream.cost_usd[row]
        value = np.array(quality) - cost / wtp_usd
        # Best utility, the cheaper on a tie: as the learned policy ranks endpoints.
        pick = min((0, 1), key=lambda e: (-value[e], cost[e]))
        chosen[step] = pick
        good = bool(stream.quality[row, pick] >= 0.5)
        memory.add(Observation(stream.kinds[pick], stream.names[pick], good, embedding))
    return cumulative_regret(stream, chosen, wtp_usd, order), chosen
