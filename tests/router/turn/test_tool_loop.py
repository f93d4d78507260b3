"""The turn pipeline's tool loop: calls through the host, results back, bounded rounds."""

from __future__ import annotations

import json
from pathlib import Path

from router.endpoints.fake import FakeEndpoint
from router.ledger.store import Ledger
from router.mcp.host import ToolHost
from router.privacy.detectors.base import FunctionDetector
from router.privacy.scan import Scanner
from router.turn.events import ToolCalled, TurnEvent
from router.turn.pipeline import TurnPipeline
from router.turn.spotlight import data_of
from tests.router.mcp.servers import Calls, sensors_server
from tests.support.pipeline import collect, finished, make_pipeline, streamed_text
from tests.support.tool_endpoint import ToolEndpoint


def _pipeline(tmp_path: Path, endpoint: FakeEndpoint, host: ToolHost | None) -> TurnPipeline:
    return make_pipeline(
        tmp_path,
        offer_all_tools=True,  # these tests are about the loop, not tool choice
        endpoints={endpoint.name: endpoint},
        system_prompt="be brief",
        scanner=Scanner(detectors=[FunctionDetector(lambda text: [])]),
        tools=host,
    )


async def _run(pipeline: TurnPipeline, text: str) -> list[TurnEvent]:
    return await collect(pipeline, text, session_id="s")


async def test_the_model_calls_a_tool_and_answers_with_its_result(tmp_path: Path) -> None:
    host = ToolHost()
    host.add_server("sensors", sensors_server())
    endpoint = ToolEndpoint("sensors__battery", name="local", kind="local")
    async with host:
        events = await _run(_pipeline(tmp_path, endpoint, host), "battery?")
    [called] = [e for e in events if isinstance(e, ToolCalled)]
    assert called.call.name == "sensors__battery" and not called.result.is_error
    turn = finished(events).turn
    assert turn.status == "complete"
    assert "Let me check." in turn.answer
    assert '"percent": 87.0' in turn.answer
    # The second request carries the call and its result, after the packed context.
    second = endpoint.requests[-1]
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    assert second[2].tool_calls[0].name == "sensors__battery"
    assert second[2].content == "Let me check. "
    assert json.loads(data_of(second[3].tool_results[0].content))["percent"] == 87.0
    assert second[3].tool_results[0].call_id == second[2].tool_calls[0].id
    offered = {t.name for t in endpoint.offered[0]}
    assert offered == {"sensors__battery", "sensors__explode", "sensors__slow"}
    assert pipeline_answer(tmp_path) == turn.answer


def pipeline_answer(tmp_path: Path) -> str:
    """The answer the ledger stored for the session."""
    return Ledger(tmp_path / "ledger.db").turns("s")[-1].answer


async def test_without_a_host_no_tools_are_offered_and_calls_are_ignored(tmp_path: Path) -> None:
    endpoint = ToolEndpoint("sensors__battery", name="local", kind="local")
    events = await _run(_pipeline(tmp_path, endpoint, None), "battery?")
    assert endpoint.offered == [()]
    assert not any(isinstance(e, ToolCalled) for e in events)
    assert streamed_text(events) == "echo: battery?"


async def test_a_model_that_keeps_calling_stops_after_the_round_limit(tmp_path: Path) -> None:
    calls = Calls()
    host = ToolHost()
    host.add_server("sensors", sensors_server(calls))
    endpoint = ToolEndpoint("sensors__battery", name="local", kind="local", always=True)
    pipeline = _pipeline(tmp_path, endpoint, host)
    pipeline.max_tool_rounds = 3
    async with host:
        events = await _run(pipeline, "battery?")
    assert calls.count == 3
    assert len([e for e in events if isinstance(e, ToolCalled)]) == 3
    assert len(endpoint.offered) == 4  # three rounds with results, then the turn ends
    assert finished(events).turn.status == "complete"


async def test_a_failing_tool_is_reported_to_the_model_not_raised(tmp_path: Path) -> None:
    host = ToolHost()
    host.add_server("sensors", sensors_server())
    endpoint = ToolEndpoint(
        "sensors__explode", arguments={"reason": "x"}, name="local", kind="local"
    )
    async with host:
        events = await _run(_pipeline(tmp_path, endpoint, host), "try it")
    [called] = [e for e in events if isinstance(e, ToolCalled)]
    assert called.result.is_error
    turn = finished(events).turn
    assert turn.status == "complete"
    assert "Error executing tool explode" in turn.answer
