"""A team agent that is another Tandem device, reached through its MCP assistant server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from app.gui.main import free_port
from mcp_servers.http_serve import http_app
from mcp_servers.serve import ServeOptions
from router.collab.agents import Agent
from router.collab.mcp_agent import McpAssistantEndpoint
from router.collab.privacy import TeamPrivacy
from router.collab.run import TeamPlan, run_team
from router.collab.topology import mesh
from router.endpoints.fake import FakeEndpoint
from router.errors import EgressBlockedError, EndpointError
from router.paths import TandemPaths
from router.privacy.detectors.registry import default_detectors
from router.privacy.guard import EgressPolicy
from router.privacy.scan import Scanner
from router.runtime.assistant import AssistantService
from router.types import GenerationOptions, Message
from tests.mcp_servers.support import TOKEN, running


def patterns_only(**kwargs) -> TeamPrivacy:
    return TeamPrivacy(
        scanner=Scanner(detectors=default_detectors(ner=False, topics=False, names=False)), **kwargs
    )


class RecordingService(AssistantService):
    """The real assistant service (tiny model), remembering what it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str | None]] = []

    async def ask_local(self, question: str, context: str | None = None) -> str:
        self.asked.append((question, context))
        return await super().ask_local(question, context)


@pytest.fixture
async def peer_url(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, RecordingService]]:
    monkeypatch.setenv("TANDEM_LOCAL__MODEL", str(tiny_gguf))
    monkeypatch.setenv("TANDEM_GENERATION__MAX_TOKENS", "8")
    monkeypatch.setenv("TANDEM_PRIVACY__NER", "false")
    service = RecordingService()
    port = free_port()
    options = ServeOptions(servers=("assistant",), assistant=service)
    try:
        with running(http_app(options, token=TOKEN, port=port), port) as url:
            yield url, service
    finally:
        await service.aclose()


async def test_a_peer_device_answers_over_streamable_http_with_a_bearer_token(peer_url) -> None:
    url, service = peer_url
    peer = McpAssistantEndpoint(url, token=TOKEN, name="desk")
    messages = [Message(role="system", content="Be brief."), Message(role="user", content="2+2?")]
    events = [e async for e in peer.stream(messages, GenerationOptions())]
    assert service.asked == [("2+2?", "Be brief.")]
    assert events[-1].usage.output_tokens > 0  # type: ignore[union-attr]


async def test_a_wrong_token_fails_the_agent_not_the_team(peer_url) -> None:
    url, service = peer_url
    peer = McpAssistantEndpoint(url, token="wrong", name="desk")
    agents = [Agent("a1", FakeEndpoint(lambda _m: "5", kind="local")), Agent("a2", peer)]
    result = await run_team("q?", agents, mesh(2), TeamPlan(rounds=1), patterns_only())
    assert service.asked == []
    assert result.answer == "5"
    assert all(a.error for a in result.answers if a.agent == 1)


async def test_a_peer_gets_redacted_prompts(peer_url) -> None:
    url, service = peer_url
    policy = EgressPolicy()
    peer = McpAssistantEndpoint(url, token=TOKEN, name="desk", egress=policy)
    leaky = FakeEndpoint(lambda _m: "call 555-867-5309 back. 7", kind="local")
    privacy = patterns_only(egress=policy)
    agents = [Agent("a1", leaky), Agent("a2", peer)]
    await run_team("Phone 555-867-5309 for me?", agents, mesh(2), TeamPlan(rounds=1), privacy)
    asked = " ".join(f"{q} {c}" for q, c in service.asked)
    assert len(service.asked) == 2
    assert "555-867-5309" not in asked and "[PHONE_NUMBER_1]" in asked


async def test_the_egress_guard_on_the_peers_http_client_blocks_protected_values(
    peer_url,
) -> None:
    url, service = peer_url
    policy = EgressPolicy()
    peer = McpAssistantEndpoint(url, token=TOKEN, name="desk", egress=policy)
    messages = [Message(role="user", content="my code is zebra-42-quartz")]
    with policy.protect(["zebra-42-quartz"]), pytest.raises(EgressBlockedError) as caught:
        _ = [e async for e in peer.stream(messages, GenerationOptions())]
    assert "zebra-42-quartz" not in str(caught.value)
    assert policy.blocked >= 1
    assert service.asked == []


async def test_an_in_process_peer_can_stand_in_for_tests() -> None:
    server: MCPServer = MCPServer("peer")
    seen: list[str] = []

    async def ask_local(question: str, context: str | None = None) -> str:
        seen.append(question)
        return "peer says 9"

    server.add_tool(ask_local)
    peer = McpAssistantEndpoint("unused", client_factory=lambda: Client(server), kind="edge")
    agents = [Agent("a1", peer), Agent("a2", FakeEndpoint(lambda _m: "9", kind="local"))]
    plan = TeamPlan(rounds=1, ending="consensus")
    result = await run_team("q?", agents, mesh(2), plan, patterns_only())
    assert seen == ["q?"]
    assert result.reason == "consensus of 2 agents after 0 round(s)"


async def test_a_peer_tool_error_names_the_peer_and_what_to_check() -> None:
    server: MCPServer = MCPServer("peer")

    async def ask_local(question: str, context: str | None = None) -> str:
        raise ToolError("the model file is missing")

    server.add_tool(ask_local)
    peer = McpAssistantEndpoint("unused", client_factory=lambda: Client(server), name="desk")
    with pytest.raises(EndpointError, match="the Tandem peer desk could not answer") as caught:
        _ = [
            e async for e in peer.stream([Message(role="user", content="hi")], GenerationOptions())
        ]
    assert "the model file is missing" in str(caught.value)
    assert "tandem mcp serve" in caught.value.hint
