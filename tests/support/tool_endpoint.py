"""A scripted endpoint that calls a tool when offered one, then answers with the results."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from router.endpoints.base import StreamEnd, TokenDelta, ToolCallRequested
from router.endpoints.fake import word_by_word
from router.endpoints.function import Answer, EndpointCall, FunctionEndpoint, StreamItem
from router.turn.spotlight import data_of
from router.types import EndpointKind, Message, ToolCall, ToolSpec, Usage


def results_since_question(messages: Sequence[Message]) -> list[str]:
    """The tool results sent after the newest real user message (their data, unwrapped)."""
    last = max(
        (i for i, m in enumerate(messages) if m.role == "user" and not m.tool_results), default=-1
    )
    return [data_of(r.content) for m in messages[last + 1 :] for r in m.tool_results]


class ToolEndpoint(FunctionEndpoint):
    """Requests `tool` (once, or every round with `always`), then says what the tool said.

    A `FunctionEndpoint` whose handler is `answer`; every request's messages and
    offered tools are recorded, so tests can check exactly what an off-device
    endpoint was sent.
    """

    def __init__(
        self,
        tool: str | None,
        *,
        arguments: Mapping[str, Any] | None = None,
        name: str = "cloud",
        kind: EndpointKind = "cloud",
        always: bool = False,
        preamble: str = "Let me check.",
    ) -> None:
        super().__init__(self.answer, name=name, kind=kind)
        self.tool = tool
        self.arguments = dict(arguments or {})
        self.always = always
        self.preamble = preamble
        self.offered: list[tuple[ToolSpec, ...]] = []

    def answer(self, call: EndpointCall) -> Answer | Awaitable[str | Sequence[StreamItem]]:
        """Call the tool if it is offered and not yet answered; otherwise answer in words."""
        self.offered.append(call.tools)
        results = results_since_question(call.messages)
        offered = any(t.name == self.tool for t in call.tools)
        if not (offered and (self.always or not results)):
            return word_by_word(_answer)(call)
        requested = ToolCall(
            id=f"call_{call.index + 1}", name=self.tool or "", arguments=self.arguments
        )
        preamble = [TokenDelta(text=self.preamble + " ")] if self.preamble else []
        end = StreamEnd(usage=Usage(output_tokens=3), finish_reason="tool_use")
        return [*preamble, ToolCallRequested(call=requested), end]


def _answer(messages: Sequence[Message]) -> str:
    results = results_since_question(messages)
    if results:
        return "the tool said: " + " | ".join(results)
    return f"echo: {messages[-1].content}"
