"""Privacy of tool results: keep-local data finishes the turn on the device, redact data
reaches an off-device endpoint only as placeholders. Tests try to leak, through the wire."""

from __future__ import annotations

import json
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
from router.turn.events import ToolCalled, ToolResultKeptLocal, TurnEvent, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.turn.spotlight import data_of
from router.types import GenerationOptions, Message, ToolSpec
from tests.router.mcp.servers import notes_server, text_server
from tests.router.privacy.test_scan import fake_detect
from tests.support.pipeline import collect
from tests.support.tool_endpoint import ToolEndpoint
from tests.support.wire import Wire

CARD = "4111 1111 1111 1111"
EMAIL = "alice@example.org"


class WireToolEndpoint(ToolEndpoint):
    """The cloud: every request is serialized through the real egress guard first."""

    def __init__(self, policy: EgressPolicy, tool: str) -> None:
        super().__init__(tool, name="cloud", kind="cloud")
        self.wire = Wire(policy)
        self.sent = self.wire.sent

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        body = [m.model_dump(mode="json") for m in messages]
        await self.wire.post({"messages": body})
        async for event in super().stream(messages, options, tools):
            yield event


def _setup(
    tmp_path: Path, server: str, text: str, rules: list[PrivacyRule] | None = None
) -> tuple[TurnPipeline, WireToolEndpoint, ToolEndpoint, ToolHost]:
    policy = EgressPolicy()
    cloud = WireToolEndpoint(policy, f"{server}__read")
    local = ToolEndpoint(None, name="local", kind="local")
    host = ToolHost(egress_policy=policy)
    host.add_server(server, text_server(server, text))
    pipeline = TurnPipeline(
        offer_all_tools=True,  # these tests are about the loop, not tool choice
        endpoints={"local": local, "cloud": cloud},
        policy=PreferRemotePolicy(),
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=200),
        system_prompt="be brief",
        scanner=Scanner(rules=build_rules(rules or []), detectors=[FunctionDetector(fake_detect)]),
        egress_policy=policy,
        tools=host,
    )
    return pipeline, cloud, local, host


async def _run(pipeline: TurnPipeline, host: ToolHost, text: str) -> list[TurnEvent]:
    async with host:
        return await collect(pipeline, text, session_id="s")


def _everything_the_cloud_got(cloud: WireToolEndpoint) -> str:
    recorded = [m.model_dump_json() for request in cloud.requests for m in request]
    return "\n".join(recorded) + b"".join(cloud.sent).decode("utf-8", "replace")


async def test_a_card_in_a_tool_result_moves_the_turn_to_the_device(tmp_path: Path) -> None:
    pipeline, cloud, local, host = _setup(tmp_path, "bank", f"statement: card {CARD}, due 3 May")
    events = await _run(pipeline, host, "summarise my bank statement")
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("ToolCalled") < kinds.index("ToolResultKeptLocal")
    kept = next(e for e in events if isinstance(e, ToolResultKeptLocal))
    assert kept.decision.endpoint == "local" and kept.reason == "contains a card number"
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.status == "complete"
    route = finished.turn.route
    assert route is not None and route.endpoint == "local" and route.privacy_action == "keep_local"
    # The cloud asked for the tool once and never saw its result, in any spelling.
    assert len(cloud.sent) == 1
    wire = _everything_the_cloud_got(cloud)
    for spelling in (CARD, CARD.replace(" ", ""), "due 3 May"):
        assert spelling not in wire
    # The device got the result and answered with it; the cloud's preamble is kept.
    assert CARD in local.requests[-1][-1].tool_results[0].content
    assert finished.turn.answer.startswith("Let me check. the tool said: statement: card")
    assert pipeline.ledger.turns("s")[-1].route == route


async def test_a_rule_on_the_server_keeps_its_results_local(tmp_path: Path) -> None:
    diary = PrivacyRule(
        name="diary", mcp_servers=["diary"], action="keep_local", reason="my diary stays here"
    )
    pipeline, cloud, _, host = _setup(tmp_path, "diary", "went to the clinic on friday", [diary])
    events = await _run(pipeline, host, "what did I do on friday?")
    assert any(isinstance(e, ToolResultKeptLocal) for e in events)
    assert "clinic" not in _everything_the_cloud_got(cloud)
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and "clinic" in finished.turn.answer


async def test_an_email_in_a_tool_result_reaches_the_cloud_only_as_a_placeholder(
    tmp_path: Path,
) -> None:
    pipeline, cloud, _, host = _setup(tmp_path, "contacts", f"Alice's address is {EMAIL}")
    events = await _run(pipeline, host, "what is Alice's address?")
    assert not any(isinstance(e, ToolResultKeptLocal) for e in events)
    [called] = [e for e in events if isinstance(e, ToolCalled)]
    assert EMAIL in called.result.content  # the tool ran with, and returned, the real value
    assert len(cloud.sent) == 2  # the call, then the answer with the result
    wire = _everything_the_cloud_got(cloud)
    assert EMAIL not in wire and EMAIL.lower() not in wire
    answer_request = json.loads(cloud.sent[1])["messages"]
    placeholder = data_of(answer_request[-1]["tool_results"][0]["content"])
    assert placeholder.startswith("Alice's address is ") and EMAIL not in placeholder
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    route = finished.turn.route
    assert route is not None and route.endpoint == "cloud" and route.privacy_action == "redact"
    # The user sees the real address again.
    assert finished.turn.answer == f"Let me check. the tool said: Alice's address is {EMAIL}"


class ArgsFromPromptEndpoint(WireToolEndpoint):
    """A cloud model that passes the user's (redacted) message on as the tool's argument."""

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        self.arguments = {"text": messages[-1].content}
        async for event in super().stream(messages, options, tools):
            yield event


async def test_placeholders_in_a_cloud_models_arguments_are_restored_for_the_tool(
    tmp_path: Path,
) -> None:
    received: list[str] = []
    policy = EgressPolicy()
    cloud = ArgsFromPromptEndpoint(policy, "notes__save")
    host = ToolHost(egress_policy=policy)
    host.add_server("notes", notes_server(received))
    pipeline = TurnPipeline(
        offer_all_tools=True,  # these tests are about the loop, not tool choice
        endpoints={"local": ToolEndpoint(None, name="local", kind="local"), "cloud": cloud},
        policy=PreferRemotePolicy(),
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=200),
        scanner=Scanner(detectors=[FunctionDetector(fake_detect)]),
        egress_policy=policy,
        tools=host,
    )
    events = await _run(pipeline, host, f"note that Alice is {EMAIL}")
    assert received == [f"note that Alice is {EMAIL}"]  # the tool got the real address
    [called] = [e for e in events if isinstance(e, ToolCalled)]
    assert called.call.arguments == {"text": f"note that Alice is {EMAIL}"}
    assert EMAIL not in _everything_the_cloud_got(cloud)
    # What the cloud is sent back is its own call, with its own placeholder.
    sent_back = cloud.requests[-1][-2].tool_calls[0].arguments["text"]
    assert EMAIL not in sent_back and sent_back.startswith("note that Alice is ")
