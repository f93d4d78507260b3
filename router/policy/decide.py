"""Stage 2, `policy.decide`: choose the endpoint and what to send.

The only policy so far serves every turn on the device; later policies (rules,
learned routers, budgets, cascades) implement the same `Policy` protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from router.endpoints.base import Endpoint
from router.errors import TandemError
from router.types import PrivacyReport, RouteDecision, TurnRequest


class Policy(Protocol):
    """Chooses where a turn runs."""

    name: str

    def decide(
        self, request: TurnRequest, report: PrivacyReport, endpoints: Mapping[str, Endpoint]
    ) -> RouteDecision:
        """Return the route for this turn."""
        ...


class LocalOnlyPolicy:
    """Serve every turn with the first on-device endpoint."""

    name = "local"

    def decide(
        self, request: TurnRequest, report: PrivacyReport, endpoints: Mapping[str, Endpoint]
    ) -> RouteDecision:
        """Pick the first local endpoint (or a fake one, in tests)."""
        for endpoint in endpoints.values():
            if endpoint.kind in ("local", "fake"):
                return RouteDecision(
                    endpoint=endpoint.name,
                    endpoint_kind=endpoint.kind,
                    policy=self.name,
                    reason=f"kept local: {report.reason}"
                    if report.keep_local
                    else "local-only policy",
                    attachments_sent=tuple(a.name for a in request.attachments),
                    expected_cost_usd=0.0,
                )
        raise TandemError(
            "no on-device model is configured",
            "set [local] model in the config, or install the bundled one with "
            "`pip install 'tandem[model]'`",
        )


def policy_for(name: str) -> Policy:
    """Return the policy configured under `name`."""
    if name == "local":
        return LocalOnlyPolicy()
    raise TandemError(f"unknown routing policy {name!r}", "use one of: local")
