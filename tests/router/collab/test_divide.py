from router.collab.fakes import OverlapProbe
from router.collab.records import Subtask
from router.collab.run import TeamPlan, run_team
from router.collab.topology import mesh, ring
from router.endpoints.fake import FakeEndpoint
from router.types import Message
from tests.router.collab.helpers import team_of


def coordinator(messages: list[Message]) -> str:
    system = messages[0].content
    if "split tasks" in system:
        return "1. add 2 and 3\n2. add 4 and 5\n3. multiply the sums"
    return "final: 45"


def worker(messages: list[Message]) -> str:
    return "result of " + messages[-1].content.split("Your subtask: ")[1].split("\n")[0]


async def test_the_planner_splits_workers_solve_and_the_aggregator_combines() -> None:
    lead = FakeEndpoint(coordinator, kind="local")
    agents = team_of([lead] + [FakeEndpoint(worker, kind="local") for _ in range(3)])
    result = await run_team("compute (2+3)*(4+5)", agents, mesh(4), TeamPlan(pattern="divide"))
    assert result.answer == "final: 45"
    assert [r.text for r in result.records if isinstance(r, Subtask)] == [
        "add 2 and 3",
        "add 4 and 5",
        "multiply the sums",
    ]
    synthesis = lead.requests[-1][-1].content
    assert "Subtask: add 4 and 5\nAnswer:\n<<data " in synthesis  # the worker's, as data
    assert "\nresult of add 4 and 5\n<<end data " in synthesis
    # Mesh: one hop out and one back per subtask.
    assert result.traffic.messages == 6
    assert result.reason == "3 of 3 subtask(s) solved by 3 worker(s), combined"


async def test_on_a_ring_subtasks_and_results_relay_through_the_agents_between() -> None:
    agents = team_of(
        [FakeEndpoint(coordinator, kind="local")]
        + [FakeEndpoint(worker, kind="local") for _ in range(3)]
    )
    result = await run_team("compute", agents, ring(4), TeamPlan(pattern="divide"))
    # Out: 0->1, 0->1->2, 0->1->2->3 (6 hops); back: 1->2->3->0, 2->3->0, 3->0 (6 hops).
    assert result.traffic.messages == 12
    edges = {(e.sender, e.receiver): e.messages for e in result.traffic.edges}
    assert edges == {(0, 1): 3, (1, 2): 3, (2, 3): 3, (3, 0): 3}
    relayed = [m for m in result.messages if m.origin != m.sender]
    assert len(relayed) == 6


async def test_an_unreadable_plan_gives_the_whole_task_to_one_worker() -> None:
    lead = FakeEndpoint(lambda m: "I cannot plan" if "split" in m[0].content else "done")
    agents = team_of([lead, FakeEndpoint(lambda _m: "42")])
    result = await run_team("what is 6*7?", agents, mesh(2), TeamPlan(pattern="divide"))
    assert [r.text for r in result.records if isinstance(r, Subtask)] == ["what is 6*7?"]
    assert result.answer == "done"


async def test_workers_solve_their_subtasks_at_the_same_time() -> None:
    def answer(messages: list[Message]) -> str:
        return "1. a\n2. b\n3. c" if "split tasks" in messages[0].content else "done"

    planner = OverlapProbe(answer, kind="local")
    workers = OverlapProbe(answer, kind="local")
    agents = team_of([planner, workers, workers, workers])
    await run_team("task", agents, mesh(4), TeamPlan(pattern="divide"))
    assert workers.calls == 3 and workers.max_in_flight == 3
    assert planner.max_in_flight == 1  # plan, then synthesis: one after the other
