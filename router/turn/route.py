"""Where a turn runs, and where it moves: the pipeline's own privacy check on the policy's
decision, the route the user asked for by name (`requested_decision`), and the on-device
routes that replace a failed or kept-local attempt.

Keep-local is enforced here, by the pipeline only: whatever a policy (built-in,
buggy or custom) decides, a turn a rule keeps local runs on the device, and a
turn a rule keeps on the user's devices runs on the device or on an edge marked
`mine` (the policy chooses among those, `within_zone`), else on the device.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from router.endpoints.base import Endpoint
from router.errors import EgressBlockedError, EndpointError, TandemError
from router.policy.cascade import ScoringEndpoint
from router.policy.decide import Policy, local_decision
from router.policy.estimate import Weights, decision_for, estimate
from router.policy.features import TurnFeatures
from router.policy.modality import select_attachments
from router.policy.resource_rules import decide_with_resources
from router.privacy.zones import ZONE_NAMES, kept_in, kept_note, may_reach
from router.turn.attempt import zoned
from router.types import FindingAction, PrivacyReport, RouteDecision, TurnRequest


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


def zone_decision(policy: Policy, features: TurnFeatures, report: PrivacyReport) -> RouteDecision:
    """The policy's choice (resources applied); for a keep_mine turn, among the endpoints on
    the user's devices only. A keep-local turn's choice is replaced by `enforce_privacy`."""
    if report.action != "keep_mine":
        return decide_with_resources(policy, features)
    try:
        return decide_with_resources(policy, within_zone(features, report.action))
    except TandemError:
        raise _nowhere_on_my_devices(report) from None


def _nowhere_on_my_devices(report: PrivacyReport) -> EgressBlockedError:
    """The refusal of a keep_mine turn that neither this device nor an edge of mine can take
    (an `EgressBlockedError`, as `_kept_local`'s: nothing was sent)."""
    return EgressBlockedError(
        f"this message must stay on your devices (it {report.reason}), and none of them "
        "can answer it now",
        "reach your own edge (an endpoint marked mine), or add a local model",
    )


def within_zone(features: TurnFeatures, action: FindingAction) -> TurnFeatures:
    """The features with only the endpoints a turn whose verdict is `action` may reach.

    What a policy is shown for a keep_mine turn: the device and the edges marked
    `mine`, so it picks the one it prefers among them.
    """
    allowed = {n: s for n, s in features.endpoints.items() if may_reach(action, s.zone)}
    if len(allowed) == len(features.endpoints):
        return features
    return replace(features, endpoints=allowed)


def enforce_privacy(
    request: TurnRequest,
    report: PrivacyReport,
    decision: RouteDecision,
    endpoints: Mapping[str, Endpoint],
) -> RouteDecision:
    """The decision with the privacy verdict; a turn goes nowhere its verdict forbids.

    Keep-local runs on the device; keep_mine on the device or a reachable edge of
    the user's, else on the device. Policies do not check this: the pipeline alone
    enforces it.
    """
    if report.keep_local:
        decision = _kept_local(request, endpoints, decision.policy, report.reason)
    elif report.action == "keep_mine":
        decision = _on_my_devices(request, report, decision, endpoints)
    chosen = endpoints.get(decision.endpoint)
    if decision.escalate_to and not isinstance(chosen, ScoringEndpoint):
        decision = decision.model_copy(
            update={
                "escalate_to": None,
                "reason": f"{decision.reason}; {decision.endpoint} cannot score its "
                "answers, so it answers without a confidence check",
            }
        )
    return zoned(decision, chosen).model_copy(update={"privacy_action": report.action})


def _on_my_devices(
    request: TurnRequest,
    report: PrivacyReport,
    decision: RouteDecision,
    endpoints: Mapping[str, Endpoint],
) -> RouteDecision:
    """A keep_mine turn's route: the policy's, when it is one of the user's devices and
    reachable (and escalates only to one), else the device's."""
    note = kept_note("keep_mine", report.reason)
    chosen = endpoints.get(decision.endpoint)
    if not _reachable_in(chosen, "keep_mine"):
        try:
            return local_decision(request, endpoints, decision.policy, note)
        except TandemError:
            raise _nowhere_on_my_devices(report) from None
    update: dict[str, object] = {"reason": f"{note}; {decision.reason}"}
    if decision.escalate_to and not _reachable_in(endpoints.get(decision.escalate_to), "keep_mine"):
        update["escalate_to"] = None
        update["reason"] = (
            f"{note}; {decision.reason}; no escalation: it is not one of your devices"
        )
    return decision.model_copy(update=update)


def _reachable_in(endpoint: Endpoint | None, action: FindingAction) -> bool:
    """Whether `endpoint` exists, may get a turn whose verdict is `action`, and is up."""
    if endpoint is None or not may_reach(action, endpoint.zone):
        return False
    return endpoint.on_device or endpoint.available()


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
    """The on-device route that finishes a turn whose tool results may not go where it ran
    (kept local, or kept on the user's devices while it ran in the cloud).

    Raises `EgressBlockedError` when there is no on-device model to finish it.
    """
    note = kept_note(report.action, f"a tool result {report.reason}")
    try:
        decision = local_decision(
            request,
            endpoints,
            current.policy,
            f"{note}; {current.endpoint} handed the rest of the turn to this device",
        )
    except TandemError:
        where = ZONE_NAMES[kept_in(report.action)]
        raise EgressBlockedError(
            f"a tool result must stay on {where} ({report.reason}), and there is no "
            "on-device model to finish the turn",
            "add a local model, or deny this tool for cloud turns",
        ) from None
    return decision.model_copy(update={"privacy_action": report.action})
