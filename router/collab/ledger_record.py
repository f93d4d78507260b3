"""A finished team run as a turn of the ledger, so chat history, search and the
dashboard show it like any other turn, with its route marked `team`."""

from __future__ import annotations

from collections.abc import Sequence

from router.collab.agents import Agent
from router.collab.records import TeamResult
from router.context.turns import TEAM_POLICY
from router.ledger.commit import commit
from router.ledger.store import Ledger
from router.privacy.zones import KEPT
from router.types import EndpointKind, FindingAction, RouteDecision, Turn, Usage, Zone

_FARTHEST: tuple[EndpointKind, ...] = ("cloud", "edge")
_FARTHEST_ZONES: tuple[Zone, ...] = ("cloud", "mine")


def team_route(result: TeamResult, agents: Sequence[Agent]) -> RouteDecision:
    """The route a team turn records: the farthest place (and zone) any taking-part agent
    ran, and the task's privacy verdict, so later turns treat the answer as its task."""
    active = [a for i, a in enumerate(agents) if i not in result.excluded_agents]
    kinds = {a.endpoint.kind for a in active}
    kind: EndpointKind = next((k for k in _FARTHEST if k in kinds), "local")
    zones = {a.zone for a in active}
    zone: Zone = next((z for z in _FARTHEST_ZONES if z in zones), "device")
    action: FindingAction = result.privacy_action
    if action not in KEPT:
        # Runs recorded before the verdict was: agents sat out only for a keep-local task.
        action = "keep_local" if result.excluded_agents else "allow"
    privacy = f"; {result.privacy}" if result.privacy else ""
    return RouteDecision(
        endpoint="team",
        endpoint_kind=kind,
        policy=TEAM_POLICY,
        reason=f"{result.pattern} over {result.topology} with {len(active)} agents: "
        f"{result.reason}{privacy}",
        privacy_action=action,
        zone=zone,
    )


def record_team_turn(
    ledger: Ledger, session_id: str, question: str, result: TeamResult, agents: Sequence[Agent]
) -> Turn:
    """Store the question and the team's answer as one complete turn of `session_id`."""
    traffic = result.traffic
    usage = Usage(
        input_tokens=traffic.input_tokens,
        output_tokens=traffic.output_tokens,
        latency_s=result.wall_s,
        cost_usd=traffic.cost_usd,
    )
    route = team_route(result, agents)
    ledger.ensure_session(session_id, title=f"Team: {' '.join(question.split())[:50]}")
    turn = ledger.begin_turn(session_id, question)
    return commit(ledger, turn, status="complete", answer=result.answer, route=route, usage=usage)
