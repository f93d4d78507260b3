"""A scripted endpoint that calls a tool when offered one, then answers with the results."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from router.endpoints.base import StreamEnd, StreamEvent, TokenDelta, ToolCallRequested
from router.endpoints.fake import FakeEndpoint
from router.types import EndpointKind, GenerationOptions, Message, ToolCall, ToolSpec, Usage


def results_since_question(messages: Sequence[Message]) -> list[str]:
    """The tool results sent after the newest real user message."""
    last = max(
        (i for i, m in enumerate(messages) if m.role == "user" and not m.tool_results), default=-1
    )
    return [r.content for m in messages[last + 1 :] for r in m.tool_results]


class ToolEndpoint(FakeEndpoint):
    """Requests `tool` (once, or every round with `always`), then says what the tool said.

    Every request's messages and offered tools are recorded, so tests can
    check exactly what an off-device endpoint was sent.
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
        super().__init__(_answer, name=name, kind=kind)
        self.tool = tool
        self.arguments = dict(arguments or {})
        self.always = always
        self.preamble = preamble
        self.offered: list[tuple[ToolSpec, ...]] = []

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Call the tool if it is offered and not yet answered; otherwise answer."""
        self.offered.append(tuple(tools))
        results = results_since_question(messages)
        offered = any(t.name == self.tool for t in tools)
        if offered and (self.always or not results):
            self.requests.append(tuple(messages))
            n = len(self.requests)  # FakeEndpoint.stream records the answering requests
            if self.preamble:
                yield TokenDelta(text=self.preamble + " ")
            call = ToolCall(id=f"call_{n}", name=self.tool or "", arguments=self.arguments)
            yield ToolCallRequested(call=call)
            yield StreamEnd(usage=Usage(output_tokens=3), finish_reason="tool_use")
            return
        async for event in super().stream(messages, options, tools):
            yield event


def _answer(messages: Sequence[Message]) -> str:
    results = results_since_question(messages)
    if results:
        return "the tool said: " + " | ".join(results)
    return f"echo: {messages[-1].content}"
