"""The `cascade` policy: answer on the device first, escalate when it is unsure.

The decision routes to the local endpoint and names the off-device endpoint to
escalate to, with the threshold. The pipeline (router/turn/pipeline.py) then
generates the local answer non-streamed with per-token log-probabilities
(`ScoringEndpoint.answer_scored`), 2-3 samples when configured, scores it with
`router.policy.confidence.confidence`, and either shows it or withdraws it and
escalates (`EscalationStarted`). The threshold is the user's
`[routing] cascade_threshold` when set, else the one fitted on a device profile
in the shipped `assets/routing_cascade.json` (`tandem router fit-cascade`), else
the prior 0.6 (router/policy/factory.py); the reason says which. Keep-local
turns never escalate: the pipeline puts them on the device without a cascade.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from router.endpoints.base import ScoredAnswer
from router.policy.decide import device_decision
from router.policy.estimate import Estimate, Weights, candidates, decision_for, estimate
from router.policy.features import EndpointState, TurnFeatures
from router.policy.learned import QualityModel
from router.policy.modality import select_attachments
from router.types import GenerationOptions, Message, RouteDecision


@runtime_checkable
class ScoringEndpoint(Protocol):
    """An endpoint that can answer non-streamed with per-token log-probabilities."""

    async def answer_scored(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> ScoredAnswer:
        """Generate one full answer and the log-prob and entropy of every token."""
        ...


class CascadePolicy:
    """Local first; names the remote endpoint to escalate to below `threshold`."""

    name = "cascade"

    def __init__(
        self,
        threshold: float,
        escalate_to: str | None = None,
        quality: QualityModel | None = None,
        weights: Weights | None = None,
        threshold_source: str = "prior",
    ) -> None:
        """`escalate_to` picks the remote endpoint; None means the best reachable one.

        `threshold_source` ("fitted", "prior" or "your setting") is said in the reason.
        """
        self.threshold = threshold
        self.threshold_source = threshold_source
        self.escalate_to = escalate_to
        self.quality = quality
        self.weights = weights or Weights()

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Route locally with an escalation target, or plainly when none may be used."""
        allowed = candidates(features)
        local = next((s for s in allowed if not s.remote), None)
        remote = [s for s in allowed if s.remote]
        if self.escalate_to is not None:
            remote = [s for s in remote if s.name == self.escalate_to]
        if features.budgets.exhausted():
            remote = []
        if local is None:
            if not remote:
                return device_decision(features, self.name, "no endpoint reachable")
            est = self._estimate(remote[0], features)
            sel = select_attachments(features, remote[0], features.question, self.weights)
            reason = "device model unavailable: straight to " + remote[0].name
            return decision_for(est, self.name, reason, sel.sent)
        est = self._estimate(local, features)
        sel = select_attachments(features, local, features.question, self.weights)
        if not remote:
            why = "budget exhausted" if features.budgets.exhausted() else "no remote reachable"
            return decision_for(est, self.name, f"cascade: {why}, local answer only", sel.sent)
        target = remote[0]
        reason = (
            f"cascade: local first, escalate to {target.name} below {self.threshold:.2f} "
            f"({self.threshold_source} threshold)"
        )
        return decision_for(est, self.name, reason, sel.sent).model_copy(
            update={"escalate_to": target.name, "confidence_threshold": self.threshold}
        )

    def _estimate(self, state: EndpointState, features: TurnFeatures) -> Estimate:
        quality = self.quality.predict(state, features) if self.quality else 0.5
        return estimate(state, quality, features, self.weights)
