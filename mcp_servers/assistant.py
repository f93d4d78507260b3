"""The `assistant` MCP server: Tandem itself, for outside assistants to delegate to.

Tools:

- `ask_local(question, context=None) -> str`: the on-device model answers. It may
  read the user's shared folders (read-only) and the device's sensors, and is
  given related earlier conversations from the device's memory; nothing leaves
  the device for it. Only the answer text goes back, so a cloud supervisor
  (Claude Desktop, Claude Code) can hand private work to the device worker
  without seeing more than the answer, and that answer passes the user's rules:
  a new value a rule keeps local withholds it, a new redacted one becomes its
  type. The exchange is not written to the user's conversation history.
- `privacy_scan(text) -> ScanResult`: the privacy scanner's verdict and finding
  positions under the user's configured rules.
- `route_preview(text) -> RoutePreview`: where Tandem would send `text` and why,
  without running the turn (the same scan -> features -> decide -> privacy
  enforcement order as `TurnPipeline.run_turn`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from router.errors import TandemError

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
    action: str = Field(
        description="Strictest rule action: allow, redact, keep_mine (this device and your "
        "own edges only) or keep_local."
    )
    rule: str = Field(description="Name of the rule that set the action ('' for none).")
    reason: str = Field(description="One-line explanation.")
    findings: list[FindingSpan] = Field(description="Every finding, by position.")


class RoutePreview(BaseModel):
    """Where a message would be routed, and why, without sending it."""

    endpoint: str = Field(description="Endpoint that would answer ('local' is the device).")
    endpoint_kind: str = Field(description="local, edge or cloud.")
    policy: str = Field(description="Routing policy that decided.")
    reason: str = Field(description="The policy's one-line explanation.")
    privacy_action: str = Field(
        description="The privacy verdict: allow, redact, keep_mine or keep_local."
    )
    zone: str = Field(
        default="cloud",
        description="The trust zone it would run in: device, mine (an edge of yours) or cloud.",
    )
    redactions: list[str] = Field(
        description="Finding types that would be replaced before sending."
    )


class AssistantTools(Protocol):
    """What answers the assistant tools: Tandem's runtime (router/runtime/assistant.py).

    A protocol, so these device-side servers never import the runtime that uses them.
    """

    async def ask_local(self, question: str, context: str | None = None) -> str:
        """The device model's answer to `question` (optional `context` before it), using the
        device's files and memory, as it may go back to the caller."""
        ...

    async def privacy_scan(self, text: str) -> ScanResult:
        """The privacy verdict on `text`: finding types and offsets, never their values."""
        ...

    async def route_preview(self, text: str) -> RoutePreview:
        """Where `text` would be routed, and why, without running it."""
        ...

    async def aclose(self) -> None:
        """Release what answering needed (the model, the ledger)."""
        ...


def register_assistant(server: MCPServer[Any], service: AssistantTools) -> list[str]:
    """Add the assistant tools to `server`; return their names."""

    async def ask_local(question: str, context: str | None = None) -> str:
        """Answer with the on-device model, which can read the user's shared folders and recall
        their earlier conversations; nothing leaves the device. Only the answer text comes
        back, with private values the question did not contain withheld or replaced by type."""
        _check_text(question, "question")
        return await _tool_errors(service.ask_local(question, context))

    async def privacy_scan(text: str) -> ScanResult:
        """Tandem's privacy verdict on `text`: finding types and offsets, never their values."""
        _check_text(text, "text")
        return await _tool_errors(service.privacy_scan(text))

    async def route_preview(text: str) -> RoutePreview:
        """Where Tandem would route `text` (device or cloud) and why, without running it."""
        _check_text(text, "text")
        return await _tool_errors(service.route_preview(text))

    for fn in (ask_local, privacy_scan, route_preview):
        # The docstring is the description clients read: as one line, not its source indentation.
        server.add_tool(fn, description=" ".join((inspect.getdoc(fn) or "").split()))
    return ["ask_local", "privacy_scan", "route_preview"]


def build_assistant_server(service: AssistantTools) -> MCPServer[Any]:
    """A standalone assistant server; `tandem mcp serve` combines servers."""
    server: MCPServer[Any] = MCPServer("tandem-assistant", log_level="WARNING")
    register_assistant(server, service)
    return server


async def _tool_errors(work: Awaitable[_T]) -> _T:
    """Tandem's errors become the tool's error text (message and hint, nothing else)."""
    try:
        return await work
    except TandemError as exc:
        raise ToolError(str(exc)) from None


def _check_text(text: str, name: str) -> None:
    if not text.strip():
        raise ToolError(f"the {name} is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ToolError(f"the {name} is over {MAX_TEXT_CHARS} characters")
