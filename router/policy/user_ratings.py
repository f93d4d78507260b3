"""Learning from use: the user's ratings correct the quality model the policies run.

The quality model (router/policy/learned.py) predicts p = P(good answer | question,
endpoint) from data that is not the user's: public questions, another device.
Each thumbs up or down the user gives (router/ledger/feedback.py) is an outcome
y in {0, 1} for one tier (`local`, `edge`, `cloud`) on one question, stored with the
question's MiniLM embedding. For a new question x and an endpoint of tier k, with
the user's n ratings (y_i, x_i) of tier k:

    overall = (G * p + sum_i y_i) / (G + n)           # the user's tier k, everywhere
    w_i     = max(0, (cos(x, x_i) - s) / (1 - s))      # how alike question i is to x
    quality = (L * overall + sum_i w_i * y_i) / (L + sum_i w_i)

Two shrinkages with pseudo-counts, each a Beta-prior mean: the model's prediction
counts as G ratings of the tier (so a device model that does worse for this user
than the model thought is corrected everywhere, a little per rating), and that
corrected value counts as L ratings of the nearest questions (so a bad answer on
one question moves similar questions a lot and unrelated ones not at all beyond
the overall term). G = 10, L = 2 and the similarity floor s = 0.5 are priors, set
by hand: MiniLM puts paraphrases at 0.8-1.0 and unrelated questions below 0.2. On
replays of held-out profiles (benchmarks/router_feedback.py, figures in
benchmarks/README.md) with the hand-set quality model then shipped, the two levels
together lowered regret where either alone did not; G in 10-30, L in 1-4 and s in
0.3-0.5 gave figures within their spread. With the fitted quality model they do
not lower it (level on MMLU + GSM8K, worse on GSM8K alone): fitting these priors is
still to do.

Why not a contextual bandit: the chat must not route a turn somewhere worse on
purpose to learn (exploration costs the user money or a worse answer); the user's
own "ask the cloud" / "answer on this device" re-answers supply the comparisons
a bandit would explore for. A question without an embedding (the policy runs
without MiniLM) gets the overall term alone.

Where it hooks in: the factory (router/policy/factory.py) builds each
quality-model policy (`learned`, `budget`, `rules` and its fallback) twice, on the
quality model as loaded and on `UserRatings.wrap` of it, and `RatedPolicy` decides
with the corrected one; when the two pick different endpoints the reason says so
("your ratings: cloud better on similar prompts (3)"). `cascade` always answers on
the device first and is left as it is.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Protocol

import numpy as np
import numpy.typing as npt

from router.ledger.feedback import RATINGS_NOTE, Observation
from router.policy.decide import Policy
from router.policy.features import EndpointState, TurnFeatures
from router.policy.learned import QualityModel
from router.types import RouteDecision

GLOBAL_PSEUDO_COUNT = 10.0
"""Prior: the model's prediction counts as this many of the user's ratings of a tier."""
LOCAL_PSEUDO_COUNT = 2.0
"""Prior: the tier's overall corrected quality counts as this many ratings of alike questions."""
SIMILARITY_FLOOR = 0.5
"""Prior: questions less alike than this cosine similarity do not move each other."""

TIER_NAMES: Mapping[str, str] = {"local": "device", "edge": "edge", "cloud": "cloud"}
"""How a reason names a tier."""

Matrix = npt.NDArray[np.float32]


class RatingSource(Protocol):
    """Where the ratings come from: the ledger's `FeedbackStore`, or a replay's memory."""

    def revision(self) -> object:
        """A value that changes whenever the ratings do."""
        ...

    def observations(self) -> list[Observation]:
        """Every rating stored with its question's embedding."""
        ...


@dataclass(frozen=True)
class Correction:
    """A corrected quality, and how many of the user's ratings it rests on."""

    quality: float
    similar: int
    """Ratings of the tier on questions alike enough to count (weight above zero)."""
    rated: int
    """Ratings of the tier in all."""


@dataclass(frozen=True)
class _TierRatings:
    """One tier's ratings as arrays: unit embeddings (rows) and outcomes (1 good, 0 bad)."""

    embeddings: Matrix
    outcomes: npt.NDArray[np.float64]


def _by_tier(observations: list[Observation]) -> dict[str, _TierRatings]:
    tiers: dict[str, _TierRatings] = {}
    for kind in sorted({o.kind for o in observations}):
        rows = [o for o in observations if o.kind == kind]
        dims = max(len(o.embedding) for o in rows)
        rows = [o for o in rows if len(o.embedding) == dims]  # one embedder's vectors
        matrix = np.stack([o.embedding for o in rows]).astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        outcomes = np.array([float(o.good) for o in rows])
        tiers[kind] = _TierRatings(matrix / np.maximum(norms, 1e-12), outcomes)
    return tiers


class UserRatings:
    """The user's ratings (in the ledger), read as a correction of predicted quality."""

    def __init__(
        self,
        source: RatingSource,
        *,
        overall_prior: float = GLOBAL_PSEUDO_COUNT,
        similar_prior: float = LOCAL_PSEUDO_COUNT,
        floor: float = SIMILARITY_FLOOR,
    ) -> None:
        """Read ratings from `source`; the pseudo-counts and the floor default to the priors."""
        self.source = source
        self.overall_prior = overall_prior
        self.similar_prior = similar_prior
        self.floor = floor
        self._lock = threading.Lock()  # turns decide on worker threads while the GUI rates
        self._revision: object = None
        self._tiers: dict[str, _TierRatings] = {}

    def _current(self) -> dict[str, _TierRatings]:
        """The ratings by tier, re-read only when the source changed since the last look."""
        revision = self.source.revision()
        with self._lock:
            if revision != self._revision:
                self._tiers = _by_tier(self.source.observations())
                self._revision = revision
            return self._tiers

    def any(self) -> bool:
        """Whether the user has rated any answer routing can learn from."""
        return bool(self._current())

    def correct(self, predicted: float, kind: str, embedding: npt.ArrayLike | None) -> Correction:
        """`predicted` quality of a tier-`kind` endpoint on a question, corrected by the ratings."""
        tier = self._current().get(kind)
        if tier is None:
            return Correction(predicted, 0, 0)
        outcomes = tier.outcomes
        overall = (self.overall_prior * predicted + float(outcomes.sum())) / (
            self.overall_prior + len(outcomes)
        )
        vector = None if embedding is None else np.asarray(embedding, dtype=np.float32)
        if vector is None or vector.shape != tier.embeddings.shape[1:]:
            return Correction(overall, 0, len(outcomes))
        cosines = tier.embeddings @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
        weights = np.clip((cosines - self.floor) / (1.0 - self.floor), 0.0, None)
        total = float(weights.sum())
        quality = (self.similar_prior * overall + float(weights @ outcomes)) / (
            self.similar_prior + total
        )
        return Correction(quality, int(np.count_nonzero(weights)), len(outcomes))

    def wrap(self, model: QualityModel) -> QualityModel:
        """`model` with its every prediction corrected by these ratings."""
        return CorrectedQuality.of(model, self)

    def note(self, features: TurnFeatures, chosen: EndpointState, instead: EndpointState) -> str:
        """The reason's note when the ratings moved a turn from `instead` to `chosen`."""
        counts = [self.correct(0.5, s.kind, features.embedding) for s in (chosen, instead)]
        similar = sum(c.similar for c in counts)
        tier = TIER_NAMES.get(chosen.kind, chosen.kind)
        if similar:
            return f"{RATINGS_NOTE} {tier} better on similar prompts ({similar})"
        return (
            f"{RATINGS_NOTE} {tier} better on your prompts so far ({sum(c.rated for c in counts)})"
        )


@dataclass(frozen=True)
class CorrectedQuality(QualityModel):
    """A quality model whose predictions the user's ratings correct (see the module doc).

    A `QualityModel` itself, so every policy that takes one takes this; it carries the
    fields of the model it wraps and answers `predict` through it.
    """

    base: QualityModel | None = field(default=None, repr=False)
    ratings: UserRatings | None = field(default=None, repr=False)

    @classmethod
    def of(cls, base: QualityModel, ratings: UserRatings) -> CorrectedQuality:
        """`base`, corrected by `ratings`."""
        inherited = {f.name: getattr(base, f.name) for f in fields(QualityModel) if f.init}
        return cls(**inherited, base=base, ratings=ratings)

    def predict(self, state: EndpointState, features: TurnFeatures) -> float:
        """The wrapped model's quality for `state`, corrected by the user's ratings."""
        base = self.base.predict(state, features) if self.base else super().predict(state, features)
        if self.ratings is None:
            return base
        return self.ratings.correct(base, state.kind, features.embedding).quality


class RatedPolicy:
    """A quality-model policy run on the corrected model; says when the ratings moved a turn.

    `static` is the same policy on the model as loaded: when it would have picked
    another endpoint, the decision's reason ends with the ratings' note.
    """

    def __init__(self, corrected: Policy, static: Policy, ratings: UserRatings) -> None:
        """`corrected` decides; `static` is only asked when there are ratings, to compare."""
        self.corrected = corrected
        self.static = static
        self.ratings = ratings
        self.name = corrected.name
        """The wrapped policy's name (`learned`, `budget`, `rules`)."""

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """The corrected policy's decision, noting when the ratings changed the endpoint."""
        decision = self.corrected.decide(features)
        if not self.ratings.any():
            return decision
        unrated = self.static.decide(features)
        chosen = features.endpoints.get(decision.endpoint)
        instead = features.endpoints.get(unrated.endpoint)
        if chosen is None or instead is None or chosen.name == instead.name:
            return decision
        note = self.ratings.note(features, chosen, instead)
        return decision.model_copy(update={"reason": f"{decision.reason}; {note}"})
