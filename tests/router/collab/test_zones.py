"""Teams and trust zones: a task a rule keeps on the user's devices runs on device agents and
agents on an edge marked mine; cloud agents and edges that are not the user's sit out."""

import pytest

from router.collab.agents import TeamConfigError
from router.collab.ledger_record import team_route
from router.collab.privacy import TeamPrivacy
from router.collab.records import Subtask
from router.collab.run import TeamPlan, run_team
from router.collab.topology import mesh
from router.endpoints.fake import FakeEndpoint
from router.privacy.detectors.registry import default_detectors
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Message
from tests.router.collab.helpers import sent_text, team_of

FALCON = PrivacyRule(
    name="falcon", keywords=["project Falcon"], action="keep_mine", reason="is about Falcon"
)
TASK = "Plan the launch of project Falcon; one line."


def gate() -> TeamPrivacy:
    detectors = default_detectors(ner=False, topics=False, names=False)
    return TeamPrivacy(scanner=Scanner(rules=build_rules([FALCON]), detectors=detectors))


def _agents() -> tuple[FakeEndpoint, FakeEndpoint, FakeEndpoint, FakeEndpoint]:
    local = FakeEndpoint(lambda _m: "Final: ship in June", name="local", kind="local")
    cloud = FakeEndpoint(lambda _m: "Final: ship now", name="cloud", kind="cloud")
    lab = FakeEndpoint(lambda _m: "Final: ship later", name="lab", kind="edge")
    desk = FakeEndpoint(lambda _m: "Final: ship in June", name="desk", kind="edge", mine=True)
    return local, cloud, lab, desk


async def test_a_keep_mine_task_runs_on_the_device_and_my_edge_only() -> None:
    local, cloud, lab, desk = _agents()
    agents = team_of([local, cloud, lab, desk])
    result = await run_team(TASK, agents, mesh(4), TeamPlan(rounds=1), gate())
    assert result.excluded_agents == (1, 2)
    assert cloud.requests == [] and lab.requests == []
    assert desk.requests  # the user's own edge took part
    assert result.privacy == "kept on your devices: is about Falcon"
    assert result.privacy_action == "keep_mine"
    route = team_route(result, agents)
    assert (route.privacy_action, route.zone, route.endpoint_kind) == ("keep_mine", "mine", "edge")


async def test_a_keep_mine_task_without_an_agent_on_my_devices_is_refused() -> None:
    _, cloud, lab, _ = _agents()
    with pytest.raises(TeamConfigError, match="stays on your devices") as raised:
        await run_team(TASK, team_of([cloud, lab]), mesh(2), TeamPlan(), gate())
    assert "an edge of yours" in raised.value.hint


async def test_a_keep_mine_subtask_goes_to_a_worker_on_my_devices() -> None:
    def planner(messages: list[Message]) -> str:
        if "split tasks" in messages[0].content:
            return "1. write a slogan\n2. summarise the project Falcon budget\n3. a tagline"
        return "combined"

    _, cloud, lab, desk = _agents()
    team = team_of([FakeEndpoint(planner, kind="local"), desk, cloud, lab])
    result = await run_team("Plan our launch", team, mesh(4), TeamPlan(pattern="divide"), gate())
    falcon = next(
        m for m in result.messages if isinstance(m.record, Subtask) and m.record.index == 1
    )
    assert falcon.receiver in (0, 1)  # round-robin would have picked the cloud worker
    assert "Falcon" not in sent_text(cloud.requests) + sent_text(lab.requests)


async def test_an_unrelated_task_still_uses_every_agent() -> None:
    local, cloud, lab, desk = _agents()
    agents = team_of([local, cloud, lab, desk])
    result = await run_team("Name a colour; one word.", agents, mesh(4), TeamPlan(), gate())
    assert result.excluded_agents == () and cloud.requests and lab.requests
    route = team_route(result, agents)
    assert (route.privacy_action, route.zone) == ("allow", "cloud")
