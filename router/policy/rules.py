"""The `rules` policy: the user's routing rules from the config, first match wins.

    [[routing.rules]]
    name = "code stays local"
    task = ["code"]
    action = "local"

A rule matches on task type, attachment modality, language, message length and
session; its action is an endpoint name, `local` (the device) or `remote` (the
best reachable off-device endpoint). A turn no rule matches, or whose rule names
an endpoint that cannot serve it, goes to the fallback policy.
"""

from __future__ import annotations

from collections.abc import Mapping

from router.policy.decide import Policy
from router.policy.estimate import Estimate, Weights, candidates, decision_for, estimate
from router.policy.features import EndpointState, TurnFeatures
from router.policy.learned import QualityModel
from router.policy.modality import select_attachments
from router.policy.routing_rule import RoutingRule
from router.types import RouteDecision


class RulesPolicy:
    """Route by the first matching user rule; otherwise ask `fallback`."""

    name = "rules"

    def __init__(
        self,
        rules: tuple[RoutingRule, ...],
        fallback: Policy,
        weights: Weights | None = None,
        quality: QualityModel | None = None,
    ) -> None:
        """`fallback` decides turns no rule matches; `quality` only fills the estimates."""
        self.rules = rules
        self.fallback = fallback
        self.weights = weights or Weights()
        self.quality = quality

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Apply the first rule that matches and can be honoured, else the fallback."""
        allowed = {s.name: s for s in candidates(features)}
        skipped: list[str] = []
        for i, rule in enumerate(self.rules):
            if not rule.matches(features):
                continue
            target = self._target(rule.action, allowed, features)
            if target is None:
                skipped.append(f"{rule.label(i)} -> {rule.action} unavailable")
                continue
            est = self._estimate(target, features)
            chosen = select_attachments(features, target, features.question, self.weights)
            reason = f"rule '{rule.label(i)}' ({rule.action})"
            if chosen.note:
                reason += f"; {chosen.note}"
            return decision_for(est, self.name, reason, chosen.sent)
        decision = self.fallback.decide(features)
        prefix = "no rule matched" if not skipped else "; ".join(skipped)
        return decision.model_copy(
            update={"policy": self.name, "reason": f"{prefix}; {decision.reason}"}
        )

    def _target(
        self, action: str, allowed: Mapping[str, EndpointState], features: TurnFeatures
    ) -> EndpointState | None:
        states = list(allowed.values())
        if action == "local":
            return next((s for s in states if not s.remote), None)
        if action == "remote":
            remote = [s for s in states if s.remote]
            # Among several remote endpoints, the one with the best expected utility.
            return max(remote, key=lambda s: self._estimate(s, features).utility, default=None)
        return allowed.get(action)

    def _estimate(self, state: EndpointState, features: TurnFeatures) -> Estimate:
        quality = self.quality.predict(state, features) if self.quality else 0.5
        return estimate(state, quality, features, self.weights)
