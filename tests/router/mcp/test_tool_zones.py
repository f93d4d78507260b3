"""Tool results a rule keeps on the user's devices: they reach an edge marked mine, never the
cloud, and a cloud turn that reads one is finished on this device. Through the wire."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from pathlib import Path

from router.endpoints.base import StreamEvent
from router.ledger.store import Ledger
from router.mcp.host import ToolHost
from router.policy.decide import PreferRemotePolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.guard import EgressPolicy
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.turn.events import ToolResultKeptLocal, TurnEvent, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import EndpointKind, GenerationOptions, Message, ToolSpec, zone_of
from tests.router.mcp.servers import text_server
from tests.router.privacy.test_scan import fake_detect
from tests.support.pipeline import collect
from tests.support.tool_endpoint import ToolEndpoint
from tests.support.wire import Wire

PLANS = "falcon launch moved to 9 June, budget 3M"
PROJECTS = PrivacyRule(
    name="projects", mcp_servers=["projects"], action="keep_mine", reason="comes from my projects"
)


class WiredToolEndpoint(ToolEndpoint):
    """An off-device endpoint that asks for the tool; each request goes through the guard."""

    def __init__(self, policy: EgressPolicy, name: str, kind: EndpointKind, mine: bool) -> None:
        super().__init__("projects__read", name=name, kind=kind)
        self.mine = mine
        self.wire = Wire(policy, name, zone_of(kind, mine))

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        await self.wire.post({"messages": [m.model_dump(mode="json") for m in messages]})
        async for event in super().stream(messages, options, tools):
            yield event


def _setup(
    tmp_path: Path, remote: str
) -> tuple[TurnPipeline, WiredToolEndpoint, ToolEndpoint, ToolHost]:
    policy = EgressPolicy()
    kind, mine = {"cloud": ("cloud", False), "desk": ("edge", True)}[remote]
    far = WiredToolEndpoint(policy, remote, kind, mine)  # type: ignore[arg-type]
    local = ToolEndpoint(None, name="local", kind="local")
    host = ToolHost(egress_policy=policy)
    host.add_server("projects", text_server("projects", PLANS))
    pipeline = TurnPipeline(
        offer_all_tools=True,
        endpoints={remote: far, "local": local},
        policy=PreferRemotePolicy(),
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=200),
        scanner=Scanner(rules=build_rules([PROJECTS]), detectors=[FunctionDetector(fake_detect)]),
        egress_policy=policy,
        tools=host,
    )
    return pipeline, far, local, host


async def _run(pipeline: TurnPipeline, host: ToolHost) -> list[TurnEvent]:
    async with host:
        return await collect(pipeline, "where are we with the launch?", session_id="s")


async def test_a_keep_mine_tool_result_moves_a_cloud_turn_to_this_device(tmp_path: Path) -> None:
    pipeline, cloud, local, host = _setup(tmp_path, "cloud")
    events = await _run(pipeline, host)
    kept = next(e for e in events if isinstance(e, ToolResultKeptLocal))
    assert kept.decision.endpoint == "local" and kept.decision.zone == "device"
    assert kept.decision.reason.startswith("kept on your devices: a tool result comes from")
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.route is not None
    assert finished.turn.route.privacy_action == "keep_mine"
    assert len(cloud.wire.sent) == 1  # it asked for the tool, and never saw the result
    assert b"9 June" not in cloud.wire.sent[0]
    assert PLANS in local.requests[-1][-1].tool_results[0].content


async def test_a_keep_mine_tool_result_stays_with_my_edge(tmp_path: Path) -> None:
    pipeline, desk, local, host = _setup(tmp_path, "desk")
    events = await _run(pipeline, host)
    assert not any(isinstance(e, ToolResultKeptLocal) for e in events)
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.route is not None
    route = finished.turn.route
    assert (route.endpoint, route.zone, route.privacy_action) == ("desk", "mine", "keep_mine")
    assert b"9 June" in desk.wire.sent[-1]  # the user's own device reads its result
    assert local.requests == [] and pipeline.egress_policy.blocked == 0
    assert "9 June" in finished.turn.answer
