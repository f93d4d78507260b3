"""Stage 2, `policy.decide`: choose the endpoint and what to send.

Every policy implements the `Policy` protocol: the two simple ones here (every
turn on the device; the first reachable off-device endpoint), and `rules`,
`learned`, `budget` and `cascade` in their own modules, built from the config by
`router.policy.factory.build_policy`. A policy sees only the turn's
`TurnFeatures`; privacy verdicts are hard constraints the pipeline enforces (a
keep-local turn goes to the device whatever the policy chose).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from router.endpoints.base import Endpoint
from router.errors import TandemError
from router.install_hints import pip_install_command
from router.policy.features import TurnFeatures
from router.types import EndpointKind, RouteDecision, TurnRequest


class Policy(Protocol):
    """Chooses where a turn runs, from the turn's features alone."""

    name: str

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Return the route for this turn.

        Privacy verdicts are not the policy's to enforce: the pipeline forces a
        keep-local turn onto the device whatever the policy chose.
        """
        ...


class LocalOnlyPolicy:
    """Serve every turn with the first on-device endpoint."""

    name = "local"

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Pick the first on-device endpoint."""
        return device_decision(features, self.name, "local-only policy")


def _no_device_model() -> TandemError:
    return TandemError(
        "no on-device model is configured",
        "set [local] model in the config, or install the bundled one: "
        f"`{pip_install_command('model')}`",
    )


def device_decision(features: TurnFeatures, policy: str, reason: str) -> RouteDecision:
    """Route to the first on-device endpoint with every attachment, with `reason`."""
    state = next((s for s in features.endpoints.values() if not s.remote), None)
    if state is None:
        raise _no_device_model()
    attachments = tuple(a.name for a in features.attachments)
    return _on_device(state.name, state.kind, policy, reason, attachments)


def local_decision(
    request: TurnRequest, endpoints: Mapping[str, Endpoint], policy: str, reason: str
) -> RouteDecision:
    """Route to the first on-device endpoint, with `reason` (the pipeline's own overrides)."""
    endpoint = next((e for e in endpoints.values() if e.on_device), None)
    if endpoint is None:
        raise _no_device_model()
    attachments = tuple(a.name for a in request.attachments)
    return _on_device(endpoint.name, endpoint.kind, policy, reason, attachments)


def _on_device(
    name: str, kind: EndpointKind, policy: str, reason: str, attachments: tuple[str, ...]
) -> RouteDecision:
    """The route to device endpoint `name`: every attachment goes, and it costs nothing."""
    return RouteDecision(
        endpoint=name,
        endpoint_kind=kind,
        policy=policy,
        reason=reason,
        attachments_sent=attachments,
        expected_cost_usd=0.0,
    )


class PreferRemotePolicy:
    """Serve each turn on the first reachable off-device endpoint, else on the device."""

    name = "prefer_remote"

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Pick the first available remote endpoint, unless outages say local."""
        remote = [s for s in features.endpoints.values() if s.remote]
        for state in remote:
            if state.available:
                return RouteDecision(
                    endpoint=state.name,
                    endpoint_kind=state.kind,
                    policy=self.name,
                    reason="preferred off-device endpoint",
                    attachments_sent=tuple(a.name for a in features.attachments),
                )
        reason = (
            f"{', '.join(s.name for s in remote)} unreachable right now"
            if remote
            else "no off-device endpoint configured"
        )
        return device_decision(features, self.name, reason)
