"""The assistant server: ask_local on the tiny model, privacy_scan, route_preview."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client
from mcp_types import TextContent

from mcp_servers.assistant import build_assistant_server
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.privacy.detectors.registry import default_detectors
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.runtime.assistant import AssistantService, released_answer
from router.turn.name_judge import DeviceJudge
from router.types import TurnRequest


@pytest.fixture
async def service(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AssistantService]:
    monkeypatch.setenv("TANDEM_LOCAL__MODEL", str(tiny_gguf))
    monkeypatch.setenv("TANDEM_GENERATION__MAX_TOKENS", "8")
    monkeypatch.setenv("TANDEM_PRIVACY__NER", "false")  # patterns suffice; spaCy loads slowly
    svc = AssistantService()
    try:
        yield svc
    finally:
        await svc.aclose()


async def test_tools_and_schemas(service: AssistantService) -> None:
    async with Client(build_assistant_server(service)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"ask_local", "privacy_scan", "route_preview"}
    assert set(tools["ask_local"].input_schema["properties"]) == {"question", "context"}
    assert tools["ask_local"].input_schema["required"] == ["question"]
    assert tools["privacy_scan"].output_schema is not None
    # What a client reads to decide to delegate: the device's own files and memory, on one line.
    description = tools["ask_local"].description or ""
    assert "shared folders" in description and "earlier conversations" in description
    assert "\n" not in description and "  " not in description


async def test_ask_local_returns_the_answer_text(service: AssistantService) -> None:
    async with Client(build_assistant_server(service)) as client:
        plain = await client.call_tool("ask_local", {"question": "What is 2+2?"})
        with_context = await client.call_tool(
            "ask_local", {"question": "Summarise.", "context": "My notes: buy milk."}
        )
    for result in (plain, with_context):
        assert not result.is_error
        assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
        assert result.structured_content == {"result": result.content[0].text}


async def test_empty_question_is_an_error(service: AssistantService) -> None:
    async with Client(build_assistant_server(service)) as client:
        result = await client.call_tool("ask_local", {"question": "   "})
    assert result.is_error and "empty" in result.content[0].text  # type: ignore[union-attr]


async def test_privacy_scan_reports_types_and_offsets(service: AssistantService) -> None:
    text = "write to bob@example.com today"
    async with Client(build_assistant_server(service)) as client:
        found = (await client.call_tool("privacy_scan", {"text": text})).structured_content
        clean = (await client.call_tool("privacy_scan", {"text": "hello"})).structured_content
    assert found is not None and clean is not None
    spans = [(f["type"], text[f["start"] : f["end"]]) for f in found["findings"]]
    assert ("EMAIL_ADDRESS", "bob@example.com") in spans
    assert found["action"] != "allow" and clean["findings"] == [] and clean["action"] == "allow"


async def test_route_preview_decides_without_running_a_turn(
    service: AssistantService, tandem_home: TandemPaths
) -> None:
    async with Client(build_assistant_server(service)) as client:
        preview = (
            await client.call_tool("route_preview", {"text": "my card is 4111 1111 1111 1111"})
        ).structured_content
    assert preview is not None
    assert preview["endpoint"] == "local" and preview["endpoint_kind"] == "local"
    assert preview["zone"] == "device"
    assert preview["policy"] and preview["reason"]
    runtime = await service.runtime()
    assert runtime.ledger.history("mcp-route-preview") == []


async def test_ask_local_withholds_private_data_the_client_did_not_send(
    service: AssistantService,
) -> None:
    # The MCP client may be a cloud assistant: the device's answer (under 8 words: the
    # fixture caps answers at 8 tokens) passes the user's rules
    # on its way out, like any other outbound text.
    runtime = await service.runtime()
    runtime.pipeline.endpoints["local"] = FakeEndpoint(
        lambda messages: "Card: 4111 1111 1111 1111", name="local"
    )
    async with Client(build_assistant_server(service)) as client:
        result = await client.call_tool("ask_local", {"question": "Which card is on file?"})
    text = result.content[0].text  # type: ignore[union-attr]
    assert "4111" not in text and "withheld" in text


def test_a_released_answer_keeps_what_the_client_gave_and_redacts_new_values() -> None:
    scanner = Scanner(detectors=default_detectors(ner=False, topics=False, names=False))

    def released(answer: str, given: str) -> str:
        report = scanner.scan(TurnRequest(text=answer, session_id="s"), [])
        return released_answer(answer, report, given=given)

    # The client's own card number comes back to it; a new one is withheld.
    card = "4111 1111 1111 1111"
    assert released(f"You wrote {card}.", given=f"is {card} valid?") == f"You wrote {card}."
    assert card not in released(f"It is {card}.", given="which card?")
    # An email (redacted for the cloud by the default rules) leaves as its type only.
    out = released("Write to alice@example.org.", given="who do I write to?")
    assert "alice@example.org" not in out and "EMAIL_ADDRESS" in out
    assert released("Paris is the capital of France.", given="capital?") == (
        "Paris is the capital of France."
    )


async def test_privacy_scan_asks_the_device_model_when_the_judge_is_on(
    service: AssistantService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a chat turn does; the tiny model's babble is no verdict, so Hawaii stays private."""
    monkeypatch.setenv("TANDEM_PRIVACY__JUDGE", "device")
    text = "Compose a travel blog post about Hawaii."
    async with Client(build_assistant_server(service)) as client:
        found = (await client.call_tool("privacy_scan", {"text": text})).structured_content
    assert found is not None
    [hawaii] = [f for f in found["findings"] if text[f["start"] : f["end"]] == "Hawaii"]
    assert hawaii["category"] == "" and found["action"] == "redact"
    judge = (await service.runtime()).pipeline.scanner.judge
    assert isinstance(judge, DeviceJudge) and judge.calls == 1


def test_a_released_answer_withholds_what_a_rule_keeps_on_my_devices() -> None:
    # The MCP client may be anywhere (a desktop app talking to the cloud): not one of mine.
    falcon = PrivacyRule(
        name="falcon", keywords=["project Falcon"], action="keep_mine", reason="a project"
    )
    scanner = Scanner(rules=build_rules([falcon]), detectors=[])
    answer = "The project Falcon launch is in June."
    report = scanner.scan(TurnRequest(text=answer, session_id="s"), [])
    out = released_answer(answer, report, given="when is the launch?")
    assert "Falcon" not in out and out.startswith("[withheld: the answer holds data that must ")
    assert "your devices" in out
    # Told it by the client itself, it comes back as it is.
    assert released_answer(answer, report, given="when is project Falcon out?") == answer
