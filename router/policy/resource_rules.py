"""What the device's resources do to a route, around whichever policy decides.

`decide_with_resources(policy, features)` takes out of the turn's choice the
endpoints its resources rule out, lets the policy decide among the rest, and
adds to the decision's reason each resource that changed the route:

- offline: every cloud endpoint is skipped, so the turn is answered on the
  device at once instead of after a connection timeout. Edge endpoints (the
  user's own, possibly on this machine) are left to their circuit breaker;
- metered network: when the turn would upload `METERED_UPLOAD_BYTES` or more
  (attachments plus the packed context) and the device can answer, the
  off-device endpoints are skipped;
- low battery, not charging (`LOW_BATTERY_PERCENT`): when the device's
  expected generation is longer than `LONG_LOCAL_GENERATION_S` and an
  off-device endpoint may take the turn, the device is skipped. A large upload
  on a metered network outweighs the battery: the money is spent for sure.

Privacy wins: a turn a rule keeps local is never moved off the device by a
resource (and the pipeline forces it onto the device whatever a policy says).
A policy that ignores availability (`local`) keeps its route, with no note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from router.policy.decide import Policy
from router.policy.estimate import carried_tokens, expected_latency_s, prompt_tokens
from router.policy.features import EndpointState, TurnFeatures
from router.tokens import CHARS_PER_TOKEN
from router.types import RouteDecision

METERED_UPLOAD_BYTES = 200_000
"""Prior (hand-set): an upload this large is kept off a metered link when the device can answer."""
LONG_LOCAL_GENERATION_S = 10.0
"""Prior (hand-set): a device generation expected to take longer is avoided on a low battery."""


@dataclass(frozen=True)
class ResourceCut:
    """Endpoints a resource takes out of this turn's choice, and the note that says why."""

    removed: frozenset[str]
    note: str


def upload_bytes(features: TurnFeatures, state: EndpointState) -> int:
    """Rough bytes sent to `state`: attachments that may leave, question and packed context."""
    files = sum(a.size_bytes for a in features.attachments if not a.kept_local)
    text_tokens = features.tokens + carried_tokens(features, state)
    return files + text_tokens * CHARS_PER_TOKEN


def resource_cuts(features: TurnFeatures) -> list[ResourceCut]:
    """What the turn's resources take out of its choice (empty when nothing)."""
    resources = features.resources
    available = [s for s in features.endpoints.values() if s.available]
    cuts: list[ResourceCut] = []
    cloud = frozenset(s.name for s in available if s.kind == "cloud")
    if resources.offline and cloud:
        cuts.append(
            ResourceCut(cloud, f"offline: {', '.join(sorted(cloud))} skipped without waiting")
        )
    local = next((s for s in available if not s.remote), None)
    remote = [s for s in available if s.remote and s.name not in _removed(cuts)]
    if features.keep_local or local is None or not remote:
        return cuts  # privacy keeps it local anyway; or there is no choice to make
    largest = max(upload_bytes(features, s) for s in remote)
    if resources.metered and largest >= METERED_UPLOAD_BYTES:
        names = ", ".join(s.name for s in remote)
        note = f"metered network: {names} skipped (about {largest / 1000:.0f} kB to upload)"
        cuts.append(ResourceCut(frozenset(s.name for s in remote), note))
        return cuts
    local_s = expected_latency_s(local, prompt_tokens(features))
    if resources.low_battery and local_s > LONG_LOCAL_GENERATION_S:
        note = (
            f"battery {resources.battery_percent:.0f}% and not charging: "
            f"{local.name} skipped (about {local_s:.0f} s of generation)"
        )
        cuts.append(ResourceCut(frozenset({local.name}), note))
    return cuts


def _removed(cuts: list[ResourceCut]) -> frozenset[str]:
    """Every endpoint some cut already removed."""
    return frozenset().union(*(c.removed for c in cuts))


def without(features: TurnFeatures, removed: frozenset[str]) -> TurnFeatures:
    """The features with the `removed` endpoints unavailable for this turn."""
    states = {
        name: replace(state, available=False) if name in removed else state
        for name, state in features.endpoints.items()
    }
    return replace(features, endpoints=states)


def decide_with_resources(policy: Policy, features: TurnFeatures) -> RouteDecision:
    """The policy's decision with the resources' cuts applied and stated in its reason."""
    cuts = resource_cuts(features)
    if not cuts:
        return policy.decide(features)
    decision = policy.decide(without(features, _removed(cuts)))
    notes = [c.note for c in cuts if decision.endpoint not in c.removed]
    if not notes:
        return decision
    return decision.model_copy(update={"reason": f"{decision.reason}; {'; '.join(notes)}"})
