"""A small debate on the real llama.cpp endpoint (the tiny random-weight GGUF)."""

from pathlib import Path

from router.collab.agents import Agent
from router.collab.run import TeamPlan, run_team
from router.collab.topology import mesh
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.types import GenerationOptions


async def test_a_debate_runs_on_the_device_model(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=2048)
    agents = [Agent(name=f"a{i + 1}", endpoint=endpoint) for i in range(3)]
    plan = TeamPlan(rounds=1, generation=GenerationOptions(max_tokens=8, seed=1))
    try:
        result = await run_team("What is 2+3?", agents, mesh(3), plan)
    finally:
        await endpoint.aclose()
    assert result.status == "complete" and result.answer
    assert [a.error for a in result.answers] == [""] * 6
    # The real model's own token counts travel on the edges.
    assert all(0 < a.usage.output_tokens <= 8 for a in result.answers)
    round0 = {a.agent: a.usage.output_tokens for a in result.answers if a.step == 0}
    assert {(e.sender, e.receiver): e.tokens for e in result.traffic.edges} == {
        (s, r): round0[s] for s in range(3) for r in range(3) if s != r
    }
    assert result.traffic.input_tokens > 0
