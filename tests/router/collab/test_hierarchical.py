import json

from router.collab.records import Assignment, Observation, SupervisorAction
from router.collab.run import TeamPlan, run_team
from router.collab.topology import star
from router.endpoints.fake import FakeEndpoint
from router.types import Message
from tests.router.collab.helpers import team_of


def scripted_supervisor(replies: list[str]):
    calls = iter(replies)

    def respond(_messages: list[Message]) -> str:
        return next(calls)

    return respond


async def test_the_supervisor_assigns_observes_and_finishes() -> None:
    plan = {"kind": "assign", "assignments": [{"worker": 1, "instruction": "find x"}]}
    replies = [json.dumps(plan), json.dumps({"kind": "finish", "answer": "x is 3"})]
    boss = FakeEndpoint(scripted_supervisor(replies))
    agents = team_of([boss, FakeEndpoint(lambda _m: "x = 3"), FakeEndpoint(lambda _m: "idle")])
    result = await run_team(
        "solve for x", agents, star(3), TeamPlan(pattern="hierarchical", rounds=2)
    )
    assert result.answer == "x is 3"
    assert result.reason == "supervisor finished after 2 step(s)"
    kinds = [type(r).__name__ for r in result.records]
    assert kinds == ["SupervisorAction", "Observation", "SupervisorAction"]
    observation = result.records[1]
    assert isinstance(observation, Observation)
    assert (observation.worker, observation.status, observation.result) == (1, "ok", "x = 3")
    # The supervisor saw the observation before finishing.
    assert "worker 1, ok: find x -> x = 3" in boss.requests[1][-1].content
    # Assignment and observation travel as structured records on the edges.
    records = [type(m.record).__name__ for m in result.messages]
    assert records == ["Assignment", "Observation"]


async def test_failed_work_is_reassigned_to_another_worker() -> None:
    replies = ["not json", "still not json", "the answer is 8"]
    boss = FakeEndpoint(scripted_supervisor(replies))

    def broken(_m: list[Message]) -> str:
        raise RuntimeError("worker down")

    agents = team_of([boss, FakeEndpoint(broken), FakeEndpoint(lambda _m: "8")])
    result = await run_team("q", agents, star(3), TeamPlan(pattern="hierarchical", rounds=2))
    actions = [r for r in result.records if isinstance(r, SupervisorAction)]
    # Step 0: unreadable, so every worker gets the task; worker 1 fails.
    assert [a.worker for a in actions[0].assignments] == [1, 2]
    # Step 1: unreadable again, so the device re-plans: the failed task goes to worker 2.
    assert actions[1].assignments == (Assignment(step=1, worker=2, instruction="q"),)
    failed = [r for r in result.records if isinstance(r, Observation) and r.status == "failed"]
    assert [o.error for o in failed] == ["worker down"]
    # Step 2: nothing failed last time, so the reply is the answer.
    assert result.answer == "the answer is 8"
