"""The `assistant` MCP server: Tandem itself, for outside assistants to delegate to.

Tools:

- `ask_local(question, context=None) -> str`: the on-device model answers; only
  the answer text goes back, so a cloud supervisor (Claude Desktop, Claude Code)
  can hand private work to the device worker without seeing more than the answer.
  The exchange is not written to the user's conversation history.
- `privacy_scan(text) -> ScanResult`: the privacy scanner's verdict and finding
  positions under the user's configured rules.
- `route_preview(text) -> RoutePreview`: where Tandem would send `text` and why,
  without running the turn (the same scan -> features -> decide -> privacy
  enforcement order as `TurnPipeline.run_turn`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from router.endpoints.base import TokenDelta
from router.errors import TandemError
from router.privacy.scan import Scanner
from router.runtime.compose import Runtime, build_runtime, scanner_for
from router.settings.config import load_settings
from router.types import Message, PrivacyReport, TurnRequest

PREVIEW_SESSION = "mcp-route-preview"
MAX_TEXT_CHARS = 100_000
_T = TypeVar("_T")


class FindingSpan(BaseModel):
    """One sensitive span: what it is and where, never its value."""

    type: str = Field(description="What was found, e.g. EMAIL_ADDRESS, CREDIT_CARD, TOPIC.")
    category: str = Field(description="For TOPIC findings the subject, else ''.")
    start: int = Field(description="Start offset in the text.")
    end: int = Field(description="End offset (exclusive).")
    confidence: float = Field(description="Detector confidence in [0, 1].")
    detector: str = Field(description="Detector that found it.")


class ScanResult(BaseModel):
    """The privacy scan's verdict on a text."""

    keep_local: bool = Field(description="True when a rule keeps this text on the device.")
    action: str = Field(description="Strictest rule action: allow, redact or keep_local.")
    rule: str = Field(description="Name of the rule that set the action ('' for none).")
    reason: str = Field(description="One-line explanation.")
    findings: list[FindingSpan] = Field(description="Every finding, by position.")


class RoutePreview(BaseModel):
    """Where a message would be routed, and why, without sending it."""

    endpoint: str = Field(description="Endpoint that would answer ('local' is the device).")
    endpoint_kind: str = Field(description="local, edge or cloud.")
    policy: str = Field(description="Routing policy that decided.")
    reason: str = Field(description="The policy's one-line explanation.")
    privacy_action: str = Field(description="The privacy verdict: allow, redact or keep_local.")
    redactions: list[str] = Field(
        description="Finding types that would be replaced before sending."
    )


class AssistantService:
    """Builds the Tandem runtime on first use and serves the assistant tools from it."""

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        self._runtime: Runtime | None = None
        self._scanner: Scanner | None = None
        self._lock = asyncio.Lock()

    async def runtime(self) -> Runtime:
        """The shared runtime (built once; building may assemble the bundled model)."""
        async with self._lock:
            if self._runtime is None:
                self._runtime = await anyio.to_thread.run_sync(
                    lambda: build_runtime(model=self._model)
                )
            return self._runtime

    def scanner(self) -> Scanner:
        """The privacy scanner under the user's rules; needs no model, so no runtime."""
        if self._scanner is None:
            self._scanner = scanner_for(load_settings())
        return self._scanner

    async def ask_local(self, question: str, context: str | None = None) -> str:
        """The device model's answer to `question`, with optional `context` before it."""
        _check_text(question, "question")
        runtime = await self.runtime()
        local = runtime.local
        prompt = f"{context.strip()}\n\n{question}" if context and context.strip() else question
        messages = [
            Message(role="system", content=runtime.settings.chat.system_prompt),
            Message(role="user", content=prompt),
        ]
        await local.prepare()
        parts: list[str] = []
        async for event in local.stream(messages, runtime.settings.generation):
            if isinstance(event, TokenDelta):
                parts.append(event.text)
        return "".join(parts).strip()

    async def privacy_scan(self, text: str) -> ScanResult:
        """Scan `text` with the configured rules; positions only, no values."""
        _check_text(text, "text")
        scanner = self.scanner()
        report = await anyio.to_thread.run_sync(lambda: scanner.scan(_request(text), []))
        return _scan_result(report)

    async def route_preview(self, text: str) -> RoutePreview:
        """Where `text` would go: scan, features, decide, privacy enforcement; nothing runs."""
        _check_text(text, "text")
        pipeline = (await self.runtime()).pipeline
        request = _request(text)

        def decide() -> RoutePreview:
            report = pipeline.scanner.scan(request, [])
            # Decided and enforced exactly as run_turn does it.
            decision = pipeline.route(request, report, [])
            return RoutePreview(
                endpoint=decision.endpoint,
                endpoint_kind=decision.endpoint_kind,
                policy=decision.policy,
                reason=decision.reason,
                privacy_action=decision.privacy_action,
                redactions=list(decision.redactions),
            )

        return await anyio.to_thread.run_sync(decide)

    async def aclose(self) -> None:
        """Close the runtime (model, ledger) if it was built."""
        if self._runtime is not None:
            await self._runtime.aclose()
            self._runtime = None


def register_assistant(server: MCPServer[Any], service: AssistantService) -> list[str]:
    """Add the assistant tools to `server`; return their names."""

    async def ask_local(question: str, context: str | None = None) -> str:
        """Answer with the on-device model; only the answer text comes back."""
        return await _tool_errors(service.ask_local(question, context))

    async def privacy_scan(text: str) -> ScanResult:
        """Tandem's privacy verdict on `text`: finding types and offsets, never their values."""
        return await _tool_errors(service.privacy_scan(text))

    async def route_preview(text: str) -> RoutePreview:
        """Where Tandem would route `text` (device or cloud) and why, without running it."""
        return await _tool_errors(service.route_preview(text))

    for fn in (ask_local, privacy_scan, route_preview):
        server.add_tool(fn)
    return ["ask_local", "privacy_scan", "route_preview"]


def build_assistant_server(service: AssistantService | None = None) -> MCPServer[Any]:
    """A standalone assistant server; `tandem mcp serve` combines servers."""
    server: MCPServer[Any] = MCPServer("tandem-assistant", log_level="WARNING")
    register_assistant(server, service or AssistantService())
    return server


async def _tool_errors(work: Awaitable[_T]) -> _T:
    """Tandem's errors become the tool's error text (message and hint, nothing else)."""
    try:
        return await work
    except TandemError as exc:
        raise ToolError(str(exc)) from None


def _request(text: str) -> TurnRequest:
    return TurnRequest(text=text, session_id=PREVIEW_SESSION)


def _check_text(text: str, name: str) -> None:
    if not text.strip():
        raise ToolError(f"the {name} is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ToolError(f"the {name} is over {MAX_TEXT_CHARS} characters")


def _scan_result(report: PrivacyReport) -> ScanResult:
    return ScanResult(
        keep_local=report.keep_local,
        action=report.action,
        rule=report.rule,
        reason=report.reason,
        findings=[
            FindingSpan(
                type=f.type,
                category=f.category,
                start=f.start,
                end=f.end,
                confidence=f.confidence,
                detector=f.detector,
            )
            for f in report.findings
            if f.part == "text"
        ],
    )
