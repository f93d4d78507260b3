"""The `learned` policy: a single-turn router over a quality model from an artifact.

The quality model (router/policy/quality_model.py, format
`tandem.linear-router`) predicts, per endpoint, the probability that it answers
the turn right. The shipped one (`assets/routing_learned.json`) is fitted by
`tandem router fit-quality` on a device profile (router/learn/fit_quality.py),
and records its data, seed, command and held-out figures. The policy picks the
endpoint with the best utility: quality minus cost at the willingness to pay,
minus latency-target overrun, and keeps a conversation on its endpoint when
switching would resend more context than it gains.
"""

from __future__ import annotations

from router.policy.decide import device_decision
from router.policy.estimate import (
    Estimate,
    Weights,
    candidates,
    choose_sticky,
    decision_for,
    estimate,
    offline_note,
)
from router.policy.features import TurnFeatures
from router.policy.modality import select_attachments
from router.policy.quality_model import (
    DEFAULT_LEARNED,
    LINEAR_FORMAT,
    LinearModel,
    QualityModel,
    feature_vector,
    load_quality_model,
)
from router.types import RouteDecision

__all__ = [
    "DEFAULT_LEARNED",
    "LINEAR_FORMAT",
    "LearnedPolicy",
    "LinearModel",
    "QualityModel",
    "feature_vector",
    "load_quality_model",
]

NO_EMBEDDING_NOTE = "no prompt embedding, so quality from the cheap features alone"


class LearnedPolicy:
    """Choose the endpoint with the best predicted quality for its cost and latency."""

    name = "learned"

    def __init__(
        self, quality: QualityModel, weights: Weights | None = None, sticky: bool = True
    ) -> None:
        """`weights` set the willingness to pay; `sticky` keeps follow-ups on one endpoint."""
        self.quality = quality
        self.weights = weights or Weights()
        self.sticky = sticky

    def rank(self, features: TurnFeatures) -> list[Estimate]:
        """Every candidate endpoint's estimate, best utility first."""
        ests = [
            estimate(
                s, self.quality.predict(s, features), features, self.weights, sticky=self.sticky
            )
            for s in candidates(features)
        ]
        return sorted(ests, key=lambda e: (-e.utility, e.cost_usd))

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Pick the reachable endpoint with the best utility."""
        ranked = self.rank(features)
        if not ranked:
            return device_decision(features, self.name, "no endpoint reachable")
        chosen, note = (
            choose_sticky(features, ranked, self.weights) if self.sticky else (ranked[0], "")
        )
        reason = note or _explain(chosen, ranked, features)
        if features.embedding is None and self.quality.uses_embedding:
            reason += f"; {NO_EMBEDDING_NOTE}"
        selection = select_attachments(features, chosen.state, features.question, self.weights)
        if selection.note:
            reason += f"; {selection.note}"
        return decision_for(chosen, self.name, reason, selection.sent)


def _explain(chosen: Estimate, ranked: list[Estimate], features: TurnFeatures) -> str:
    """One line: the winner's quality and cost, and the runner-up it beat."""
    text = (
        f"{features.task} turn, difficulty {features.difficulty:.2f}: {chosen.state.name} "
        f"(quality {chosen.quality:.2f}, ${chosen.cost_usd:.4f})"
    )
    others = [e for e in ranked if e is not chosen]
    if others:
        text += f" over {others[0].state.name} (quality {others[0].quality:.2f})"
    return text + offline_note(features)
