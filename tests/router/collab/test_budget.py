from router.collab.run import TeamPlan, run_team
from router.collab.topology import mesh
from router.collab.traffic import Budget
from router.endpoints.fake import FakeEndpoint
from tests.router.collab.helpers import constant, team_of


async def test_a_token_budget_stops_the_debate_with_a_result_saying_so() -> None:
    agents = team_of([constant("the answer is 7") for _ in range(3)])
    unlimited = await run_team("q?", agents, mesh(3), TeamPlan(rounds=3))
    # Round 0 costs about 140 tokens for three agents; no round-1 prompt fits in the rest.
    plan = TeamPlan(rounds=3, budget=Budget(max_tokens=200))
    result = await run_team("q?", agents, mesh(3), plan)
    assert result.status == "budget_exhausted"
    assert result.reason.startswith("the team stopped: not started: token budget spent:")
    assert result.answer == "the answer is 7"  # the vote over what was said before the stop
    assert result.traffic.total_tokens <= 200
    assert result.traffic.calls == 3
    skipped = [a for a in result.answers if a.step == 1]
    assert len(skipped) == 3 and all("next prompt does not fit" in a.error for a in skipped)
    assert unlimited.traffic.calls == 12


async def test_a_money_budget_stops_the_team_too() -> None:
    priced = FakeEndpoint(lambda _m: "7", kind="local", price_per_token_usd=0.001)
    agents = team_of([priced, priced])
    result = await run_team("q?", agents, mesh(2), TeamPlan(rounds=4, budget=Budget(max_usd=0.01)))
    assert result.status == "budget_exhausted"
    assert "money budget spent" in result.reason
    assert result.traffic.cost_usd >= 0.01


async def test_the_budget_caps_how_much_a_call_may_generate() -> None:
    wordy = FakeEndpoint(lambda _m: " ".join(["word"] * 500), kind="local")
    plan = TeamPlan(rounds=1, budget=Budget(max_tokens=100))
    result = await run_team("q?", team_of([wordy]), mesh(1), plan)
    assert result.answers[0].usage.output_tokens < 100
