"""End to end on the real bundled model: it answers "what is my battery level?" by calling
the sensors tool through the host (greedy decoding, fixed seed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.sensors import build_sensors_server
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.ledger import Ledger
from router.mcp.host import ToolHost
from router.policy.decide import LocalOnlyPolicy
from router.privacy.scan import Scanner
from router.session import ToolCalled, TurnFinished, TurnPipeline
from router.types import GenerationOptions, TurnRequest
from tests.router.mcp.servers import sensors_server

pytestmark = pytest.mark.bundled

SYSTEM = "You are Tandem, a helpful, concise assistant."  # the shipped default


async def _ask(tmp_path: Path, host: ToolHost, model: Path) -> tuple[list[ToolCalled], str]:
    pipeline = TurnPipeline(
        endpoints={"local": LlamaCppEndpoint(model, n_ctx=4096)},
        policy=LocalOnlyPolicy(),
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=96, temperature=0.0, seed=1),
        system_prompt=SYSTEM,
        scanner=Scanner(ner=False),
        tools=host,
    )
    async with host:
        events = [
            e
            async for e in pipeline.run_turn(
                TurnRequest(text="what is my battery level?", session_id="s")
            )
        ]
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.status == "complete"
    return [e for e in events if isinstance(e, ToolCalled)], finished.turn.answer


async def test_the_local_model_reads_the_battery_through_the_sensors_server(
    tmp_path: Path, bundled_gguf: Path
) -> None:
    host = ToolHost()
    host.add_server("sensors", build_sensors_server())
    called, answer = await _ask(tmp_path, host, bundled_gguf)
    assert [c.call.name for c in called] == ["sensors__battery"]
    assert not called[0].result.is_error and '"available"' in called[0].result.content
    # An answer in words, not another call written out as text.
    assert "battery" in answer.lower() and '"name"' not in answer


async def test_the_local_model_reports_the_level_the_tool_returned(
    tmp_path: Path, bundled_gguf: Path
) -> None:
    host = ToolHost()
    host.add_server("sensors", sensors_server(percent=64.0))
    called, answer = await _ask(tmp_path, host, bundled_gguf)
    assert [c.call.name for c in called] == ["sensors__battery"]
    assert "64" in answer and '"name"' not in answer
