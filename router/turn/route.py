"""Where a turn runs, and where it moves: the pipeline's own privacy check on the policy's
decision, the route the user asked for by name (`requested_decision`), and the on-device
routes that replace a failed or kept-local attempt.

Keep-local is enforced here, by the pipeline only: whatever a policy (built-in,
buggy or custom) decides, a turn a rule keeps local runs on the device.
"""

from __future__ import annotations

from collections.abc import Mapping

from router.endpoints.base import Endpoint
from router.errors import EgressBlockedError, EndpointError, TandemError
from router.policy.cascade import ScoringEndpoint
from router.policy.decide import local_decision
from router.policy.estimate import Weights, decision_for, estimate
from router.policy.features import TurnFeatures
from router.policy.modality import select_attachments
from router.types import PrivacyReport, RouteDecision, TurnRequest


def requested_decision(features: TurnFeatures, name: str, policy: str) -> RouteDecision:
    """The route to endpoint `name`, which the user asked for (a re-answer on the other tier).

    No policy weighs it; the attachments that may go there go (not those a privacy rule
    keeps on the device), and `enforce_privacy` still applies after. Raises `EndpointError`
    when the endpoint is not configured or not reachable.
    """
    state = features.endpoints.get(name)
    if state is None or not state.available:
        raise EndpointError(
            f"{name} is not reachable right now", "try again later, or ask another endpoint"
        )
    weights = Weights()
    selection = select_attachments(features, state, features.question, weights)
    chosen = estimate(state, 0.5, features, weights)  # quality unknown: no model was asked
    reason = f"answered on {name} as you asked"
    if selection.note:
        reason += f"; {selection.note}"
    return decision_for(chosen, policy, reason, selection.sent).model_copy(
        update={"expected_quality": None}
    )


def enforce_privacy(
    request: TurnRequest,
    report: PrivacyReport,
    decision: RouteDecision,
    endpoints: Mapping[str, Endpoint],
) -> RouteDecision:
    """The decision with the privacy verdict; a keep-local turn is forced on the device."""
    chosen = endpoints.get(decision.endpoint)
    if report.keep_local:  # policies do not check this: the pipeline alone enforces it
        decision = _kept_local(request, endpoints, decision.policy, report.reason)
    elif decision.escalate_to and not isinstance(chosen, ScoringEndpoint):
        decision = decision.model_copy(
            update={
                "escalate_to": None,
                "reason": f"{decision.reason}; {decision.endpoint} cannot score its "
                "answers, so it answers without a confidence check",
            }
        )
    return decision.model_copy(update={"privacy_action": report.action})


def _kept_local(
    request: TurnRequest, endpoints: Mapping[str, Endpoint], policy: str, reason: str
) -> RouteDecision:
    """The device's route for a turn a rule keeps local; refused where there is no device model."""
    try:
        return local_decision(request, endpoints, policy, f"kept local: {reason}")
    except TandemError:
        raise EgressBlockedError(
            f"this message must stay on this device (it {reason}), and there is no "
            "on-device model to answer it",
            "remove that part and send it again, or add a local model",
        ) from None


def fallback_decision(
    request: TurnRequest,
    endpoints: Mapping[str, Endpoint],
    failed: RouteDecision,
    reason: str,
) -> RouteDecision | None:
    """The on-device route that replaces a failed off-device one; None without a device model."""
    try:
        decision = local_decision(
            request,
            endpoints,
            failed.policy,
            f"{failed.endpoint} failed ({reason}); answered on this device instead",
        )
    except TandemError:
        return None
    return decision.model_copy(update={"privacy_action": failed.privacy_action})


def keep_local_decision(
    request: TurnRequest,
    endpoints: Mapping[str, Endpoint],
    current: RouteDecision,
    report: PrivacyReport,
) -> RouteDecision:
    """The on-device route that finishes a turn whose tool results must stay local.

    Raises `EgressBlockedError` when there is no on-device model to finish it.
    """
    try:
        decision = local_decision(
            request,
            endpoints,
            current.policy,
            f"kept local: a tool result {report.reason}; {current.endpoint} "
            "handed the rest of the turn to this device",
        )
    except TandemError:
        raise EgressBlockedError(
            f"a tool result must stay on this device ({report.reason}), and there is no "
            "on-device model to finish the turn",
            "add a local model, or deny this tool for cloud turns",
        ) from None
    return decision.model_copy(update={"privacy_action": "keep_local"})
