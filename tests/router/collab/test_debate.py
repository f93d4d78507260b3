import pytest

from router.collab.events import AgentReplied, MessageSent, StepStarted, TeamFinished
from router.collab.fakes import OverlapProbe, growing_responder
from router.collab.run import TeamPlan, run_team, stream_team
from router.collab.topology import mesh, ring, star, tree
from router.endpoints.fake import FakeEndpoint
from tests.router.collab.helpers import constant, team_of


@pytest.mark.parametrize(
    ("topology", "per_round"),
    [(mesh(4), 12), (star(4), 6), (ring(4), 4), (tree(4), 6)],
    ids=["mesh", "star", "ring", "tree"],
)
async def test_each_round_sends_one_message_per_edge(topology, per_round) -> None:
    # Every answer is one word, so one token per message.
    agents = team_of([constant("7") for _ in range(4)])
    result = await run_team("q?", agents, topology, TeamPlan(rounds=3))
    assert result.traffic.messages == 3 * per_round
    assert result.traffic.message_tokens == 3 * per_round
    assert result.traffic.calls == 4 + 3 * 4
    assert {(e.sender, e.receiver) for e in result.traffic.edges} == topology.edges
    assert all(e.messages == 3 for e in result.traffic.edges)


async def test_message_tokens_are_the_senders_answer_tokens() -> None:
    agents = team_of([constant("one two three"), constant("four five")])
    result = await run_team("q?", agents, mesh(2), TeamPlan(rounds=1))
    by_edge = {(e.sender, e.receiver): e.tokens for e in result.traffic.edges}
    assert by_edge == {(0, 1): 3, (1, 0): 2}


async def test_agents_revise_with_what_their_in_neighbours_said() -> None:
    endpoints = [FakeEndpoint(lambda _m, i=i: f"answer {i}", kind="local") for i in range(3)]
    await run_team("q?", team_of(endpoints), ring(3), TeamPlan(rounds=1))
    # On a ring, agent 1 hears only agent 0.
    revision = endpoints[1].requests[1][-1].content
    assert "answer 0" in revision and "answer 2" not in revision
    assert "Your previous answer:\nanswer 1" in revision


async def test_majority_vote_picks_the_most_common_final_answer() -> None:
    agents = team_of([constant("so 12"), constant("it is 12"), constant("13")])
    result = await run_team("q?", agents, mesh(3), TeamPlan(rounds=1, ending="majority"))
    assert result.status == "complete"
    assert result.answer == "so 12"
    assert result.reason == "majority vote: 2 of 3 agents after 1 round(s)"


async def test_consensus_stops_early_when_every_answer_agrees() -> None:
    agents = team_of([constant("= 5"), constant("5"), constant("5.0")])
    result = await run_team("q?", agents, mesh(3), TeamPlan(rounds=4, ending="consensus"))
    assert result.rounds == 0
    assert result.traffic.messages == 0 and result.traffic.calls == 3
    assert result.reason == "consensus of 3 agents after 0 round(s)"


async def test_a_judge_reads_every_final_answer() -> None:
    judge = FakeEndpoint(lambda m: "judge says 9" if "Which answer" in m[-1].content else "1")
    agents = team_of([judge, constant("2"), constant("3")])
    result = await run_team("q?", agents, star(3), TeamPlan(rounds=1, ending="judge"))
    assert result.answer == "judge says 9"
    verdict_prompt = judge.requests[-1][-1].content
    # Each answer inside its data block (tests/router/collab/test_data_marking.py).
    assert "Answer 2:\n<<data " in verdict_prompt and "\n2\n<<end data " in verdict_prompt
    assert "Answer 3:\n<<data " in verdict_prompt and "\n3\n<<end data " in verdict_prompt
    # Round 1 on the star (4 hops), then both leaves' finals to the judge (2 hops).
    assert result.traffic.messages == 6


async def test_answers_lengthen_with_context_so_later_rounds_carry_more_tokens() -> None:
    agents = team_of([FakeEndpoint(growing_responder(), kind="local") for _ in range(3)])
    result = await run_team("q?", agents, mesh(3), TeamPlan(rounds=3))
    per_round = [sum(m.tokens for m in result.messages if m.step == r) for r in (1, 2, 3)]
    assert per_round[0] < per_round[1] < per_round[2]


async def test_a_round_runs_its_agents_concurrently() -> None:
    probe = OverlapProbe()
    agents = team_of([probe, probe, probe, probe])
    await run_team("q?", agents, mesh(4), TeamPlan(rounds=1))
    assert probe.calls == 8
    assert probe.max_in_flight == 4


async def test_events_stream_in_order_and_end_with_the_result() -> None:
    agents = team_of([constant("7"), constant("7")])
    events = [e async for e in stream_team("q?", agents, mesh(2), TeamPlan(rounds=1))]
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "TeamStarted" and kinds[-1] == "TeamFinished"
    steps = [e.step for e in events if isinstance(e, StepStarted)]
    assert steps == [0, 1]
    first_message = next(i for i, e in enumerate(events) if isinstance(e, MessageSent))
    replies = [i for i, e in enumerate(events) if isinstance(e, AgentReplied)]
    assert replies[1] < first_message < replies[2]  # round 0 answers before the broadcast
    assert isinstance(events[-1], TeamFinished)


async def test_a_failing_agent_does_not_stop_the_debate() -> None:
    def broken(_m):
        raise RuntimeError("model crashed")

    agents = team_of([constant("4"), FakeEndpoint(broken, kind="local"), constant("4")])
    result = await run_team("q?", agents, mesh(3), TeamPlan(rounds=1))
    assert result.answer == "4" and result.status == "complete"
    assert any(a.error == "model crashed" for a in result.answers)
    # The failed agent broadcasts nothing: only agents 0 and 2 send, to two peers each.
    assert result.traffic.messages == 4
