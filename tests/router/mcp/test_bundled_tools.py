"""A local turn reads the battery through the real sensors MCP server.

The tool path is driven deterministically: a scripted on-device model requests
`sensors__battery`, and the real sensors server (through the host) answers it.
Whether the small bundled model itself chooses the tool depends on how
llama.cpp computes on the machine, so that is measured as a rate by
`benchmarks/local_tool_choice.py`, not asserted here. The bundled model's test
checks only Tandem's part: with the tools offered, its turn completes and any
call it makes is one the host offered and ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_servers.sensors import HostSensors, build_sensors_server
from mcp_servers.sensors_models import Battery
from router.endpoints.base import Endpoint
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.ledger.store import Ledger
from router.mcp.host import ToolHost
from router.policy.decide import LocalOnlyPolicy
from router.privacy.detectors.registry import default_detectors
from router.privacy.scan import Scanner
from router.turn.events import ToolCalled, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.turn.spotlight import data_of
from router.types import GenerationOptions, Turn, TurnRequest
from tests.support.tool_endpoint import ToolEndpoint

SYSTEM = "You are Tandem, a helpful, concise assistant."  # the shipped default
QUESTION = "what is my battery level?"


class PhoneBattery(HostSensors):
    """The host's sensors, with a battery at a fixed charge."""

    async def battery(self) -> Battery:
        return Battery(available=True, percent=64.0, plugged_in=False, state="discharging")


async def _ask(
    tmp_path: Path, host: ToolHost, endpoint: Endpoint
) -> tuple[list[ToolCalled], Turn, Ledger]:
    ledger = Ledger(tmp_path / "ledger.db")
    pipeline = TurnPipeline(
        endpoints={"local": endpoint},
        policy=LocalOnlyPolicy(),
        ledger=ledger,
        generation=GenerationOptions(max_tokens=96, temperature=0.0, seed=1),
        system_prompt=SYSTEM,
        scanner=Scanner(detectors=default_detectors(ner=False)),
        tools=host,
    )
    async with host:
        events = [e async for e in pipeline.run_turn(TurnRequest(text=QUESTION, session_id="s"))]
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.status == "complete"
    return [e for e in events if isinstance(e, ToolCalled)], finished.turn, ledger


async def test_the_local_model_reads_the_battery_through_the_sensors_server(
    tmp_path: Path,
) -> None:
    model = ToolEndpoint("sensors__battery", name="local", kind="local", preamble="")
    host = ToolHost()
    host.add_server("sensors", build_sensors_server(backend=PhoneBattery()))
    [called], turn, ledger = await _ask(tmp_path, host, model)

    assert called.call.name == "sensors__battery" and not called.result.is_error
    reading = json.loads(called.result.content)
    assert (reading["available"], reading["percent"], reading["plugged_in"]) == (True, 64.0, False)
    # The sensors tools were offered to the model; the reading went back to it, and the
    # answer it then gave is the turn's answer, stored once.
    assert "sensors__battery" in {tool.name for tool in model.offered[0]}
    # It went as data, inside a block naming the tool (spotlighting).
    assert [data_of(m.tool_results[0].content) for m in model.requests[-1] if m.tool_results] == [
        called.result.content
    ]
    assert turn.answer == f"the tool said: {called.result.content}"
    assert [t.answer for t in ledger.turns("s")] == [turn.answer]


async def test_the_hosts_own_battery_is_a_reading_or_a_reason(tmp_path: Path) -> None:
    model = ToolEndpoint("sensors__battery", name="local", kind="local", preamble="")
    host = ToolHost()
    host.add_server("sensors", build_sensors_server())  # this machine's own sensors
    [called], _, _ = await _ask(tmp_path, host, model)
    assert not called.result.is_error
    reading = json.loads(called.result.content)
    if reading["available"]:
        assert reading["percent"] is not None
    else:  # no battery (a desktop, a server, CI): said in words, not as an error
        assert reading["reason"]


@pytest.mark.bundled
async def test_the_bundled_model_takes_a_turn_with_the_sensors_tools_offered(
    tmp_path: Path, bundled_gguf: Path
) -> None:
    host = ToolHost()
    host.add_server("sensors", build_sensors_server(backend=PhoneBattery()))
    called, turn, _ = await _ask(tmp_path, host, LlamaCppEndpoint(bundled_gguf, n_ctx=4096))
    assert turn.answer.strip()
    for tool in called:  # whether it calls one is the model's choice (see the benchmark)
        assert tool.call.name.startswith("sensors__") and not tool.result.is_error
