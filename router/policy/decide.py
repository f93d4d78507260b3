"""Stage 2, `policy.decide`: choose the endpoint and what to send.

Every policy implements the `Policy` protocol: the two simple ones here (every
turn on the device; the first reachable off-device endpoint), and `rules`,
`learned`, `budget` and `cascade` in their own modules, built from the config by
`router.policy.factory.build_policy`. Privacy verdicts are hard constraints: a
keep-local turn goes to the device whatever the policy (the pipeline checks again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from router.endpoints.base import Endpoint
from router.errors import TandemError
from router.install_hints import pip_install_command
from router.policy.features import TurnFeatures
from router.types import PrivacyReport, RouteDecision, TurnRequest

if TYPE_CHECKING:
    pass


class Policy(Protocol):
    """Chooses where a turn runs."""

    name: str

    def decide(
        self,
        request: TurnRequest,
        report: PrivacyReport,
        endpoints: Mapping[str, Endpoint],
        features: TurnFeatures | None = None,
    ) -> RouteDecision:
        """Return the route for this turn; `features` when the caller computed them."""
        ...


class LocalOnlyPolicy:
    """Serve every turn with the first on-device endpoint."""

    name = "local"

    def decide(
        self,
        request: TurnRequest,
        report: PrivacyReport,
        endpoints: Mapping[str, Endpoint],
        features: TurnFeatures | None = None,
    ) -> RouteDecision:
        """Pick the first local endpoint (or a fake one, in tests)."""
        reason = f"kept local: {report.reason}" if report.keep_local else "local-only policy"
        return local_decision(request, endpoints, self.name, reason)


def local_decision(
    request: TurnRequest, endpoints: Mapping[str, Endpoint], policy: str, reason: str
) -> RouteDecision:
    """Route to the first on-device endpoint, with `reason`."""
    for endpoint in endpoints.values():
        if endpoint.on_device:
            return RouteDecision(
                endpoint=endpoint.name,
                endpoint_kind=endpoint.kind,
                policy=policy,
                reason=reason,
                attachments_sent=tuple(a.name for a in request.attachments),
                expected_cost_usd=0.0,
            )
    raise TandemError(
        "no on-device model is configured",
        "set [local] model in the config, or install the bundled one: "
        f"`{pip_install_command('model')}`",
    )


class PreferRemotePolicy:
    """Serve each turn on the first reachable off-device endpoint, else on the device.

    Privacy verdicts win: a turn a rule keeps local never goes off the device.
    """

    name = "prefer_remote"

    def decide(
        self,
        request: TurnRequest,
        report: PrivacyReport,
        endpoints: Mapping[str, Endpoint],
        features: TurnFeatures | None = None,
    ) -> RouteDecision:
        """Pick the first available remote endpoint, unless privacy or outages say local."""
        if report.keep_local:
            return local_decision(request, endpoints, self.name, f"kept local: {report.reason}")
        remote = [e for e in endpoints.values() if not e.on_device]
        for endpoint in remote:
            if endpoint.available():
                return RouteDecision(
                    endpoint=endpoint.name,
                    endpoint_kind=endpoint.kind,
                    policy=self.name,
                    reason="preferred off-device endpoint",
                    attachments_sent=tuple(a.name for a in request.attachments),
                )
        reason = (
            f"{', '.join(e.name for e in remote)} unreachable right now"
            if remote
            else "no off-device endpoint configured"
        )
        return local_decision(request, endpoints, self.name, reason)
