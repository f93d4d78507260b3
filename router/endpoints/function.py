"""`FunctionEndpoint(handler)`: an endpoint whose every answer a function writes.

The one fake for tests and demos, like pydantic-ai's `FunctionModel` or httpx's
`MockTransport(handler)`: the handler receives each request as an
`EndpointCall` and returns the answer as text, a list of stream events, or an
async iterator of them; it may raise (an `EndpointError`, say) or never finish
(a stalled connection). The endpoint does the rest the way a real one does:
it records every request, stops at `max_tokens`, and ends the stream with a
`StreamEnd` carrying counted usage when the handler did not send one.

    endpoint = FunctionEndpoint(lambda call: "four", kind="cloud")
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from router.endpoints.base import (
    Endpoint,
    FinishReason,
    ScoredAnswer,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    ToolCallRequested,
)
from router.types import EndpointKind, GenerationOptions, Message, ToolSpec, Usage

__all__ = [
    "Answer",
    "EndpointCall",
    "FunctionEndpoint",
    "FunctionScoringEndpoint",
    "ScoreHandler",
    "StreamHandler",
    "StreamItem",
]


@dataclass(frozen=True)
class EndpointCall:
    """One request a `FunctionEndpoint` received, as its handler sees it."""

    messages: tuple[Message, ...]
    """The messages sent, system prompt and history included."""
    options: GenerationOptions
    """Sampling settings of the request (`max_tokens` is enforced by the endpoint)."""
    tools: tuple[ToolSpec, ...]
    """Tools offered to the model on this request."""
    index: int
    """How many requests this endpoint received before this one (0 for the first)."""

    @property
    def question(self) -> str:
        """The newest user message's text ("" when there is none)."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")


StreamItem = StreamEvent | str
"""What a handler produces: stream events, or text (a `TokenDelta`)."""
Answer = str | Sequence[StreamItem] | AsyncIterator[StreamItem]
"""A whole answer as text or events, or an async iterator that streams them."""
StreamHandler = Callable[[EndpointCall], Answer | Awaitable[str | Sequence[StreamItem]]]
"""Writes the answer to one request, directly or as a coroutine's result."""
ScoreHandler = Callable[[EndpointCall], ScoredAnswer | Awaitable[ScoredAnswer]]
"""Writes a non-streamed answer with per-token log-probabilities (the cascade's check)."""


async def _items(
    returned: Answer | Awaitable[str | Sequence[StreamItem]],
) -> AsyncGenerator[StreamItem, None]:
    """Whatever the handler returned, as one async stream of items."""
    result: Answer = await returned if inspect.isawaitable(returned) else returned
    if isinstance(result, str):
        yield result
    elif isinstance(result, AsyncGenerator):
        async with aclosing(result) as items:
            async for item in items:
                yield item
    elif isinstance(result, AsyncIterator):
        async for item in result:
            yield item
    else:
        for item in result:
            yield item


class FunctionEndpoint(Endpoint):
    """An endpoint whose answers `handler` writes; records every request it receives."""

    def __init__(
        self,
        handler: StreamHandler,
        *,
        name: str = "function",
        kind: EndpointKind = "local",
        context_window: int = 4096,
        price_in_per_token: float = 0.0,
        price_out_per_token: float = 0.0,
        up: bool = True,
        fill_end: bool = True,
        mine: bool = False,
    ) -> None:
        """`kind` is where the endpoint it stands in for runs; `up` False makes it unavailable;
        `mine` marks an edge as one of the user's devices.

        `fill_end` False sends no `StreamEnd` the handler did not send: a stream
        cut short, for testing the code that must notice.
        """
        self.name = name
        self.kind = kind
        self.mine = mine
        self.handler = handler
        self._context_window = context_window
        self.price_in = price_in_per_token
        self.price_out = price_out_per_token
        self.up = up
        self.fill_end = fill_end
        self.calls: list[EndpointCall] = []
        """Every request received, oldest first."""
        self.requests: list[tuple[Message, ...]] = []
        """The messages of every request received, oldest first."""

    @property
    def context_window(self) -> int:
        """Most tokens one request may use."""
        return self._context_window

    def available(self) -> bool:
        """False while `up` is False (a known outage)."""
        return self.up

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Tokens at the configured per-token prices."""
        return input_tokens * self.price_in + output_tokens * self.price_out

    def record(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> EndpointCall:
        """Record a request and return it as the handler sees it."""
        call = EndpointCall(tuple(messages), options, tuple(tools), len(self.calls))
        self.calls.append(call)
        self.requests.append(call.messages)
        return call

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream the handler's answer, cut at `max_tokens`, ending with one `StreamEnd`."""
        call = self.record(messages, options, tools)
        started = time.perf_counter()
        first: float | None = None
        emitted = 0
        finish: FinishReason = "stop"
        async with aclosing(_items(self.handler(call))) as items:
            async for item in items:
                if isinstance(item, StreamEnd):
                    yield item
                    return
                if isinstance(item, ToolCallRequested):
                    finish = "tool_use"
                    yield item
                    continue
                if emitted >= options.max_tokens:
                    finish = "length"
                    break
                if first is None:
                    first = time.perf_counter() - started
                emitted += 1
                yield item if isinstance(item, TokenDelta) else TokenDelta(text=item)
        if not self.fill_end:
            return
        n_in = self.count_tokens(messages)
        usage = Usage(
            input_tokens=n_in,
            output_tokens=emitted,
            ttft_s=first,
            latency_s=time.perf_counter() - started,
            cost_usd=self.cost(n_in, emitted),
        )
        yield StreamEnd(usage=usage, finish_reason=finish)


class FunctionScoringEndpoint(FunctionEndpoint):
    """A `FunctionEndpoint` that also answers scored (a `ScoringEndpoint`), as `scorer` writes."""

    def __init__(self, handler: StreamHandler, scorer: ScoreHandler, **settings: Any) -> None:
        """`settings` are `FunctionEndpoint`'s keyword arguments."""
        super().__init__(handler, **settings)
        self.scorer = scorer
        self.scored: list[EndpointCall] = []
        """Every scored request, oldest first (streamed ones are in `calls`)."""

    async def answer_scored(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> ScoredAnswer:
        """The scorer's answer to this request."""
        call = EndpointCall(tuple(messages), options, (), len(self.scored))
        self.scored.append(call)
        answer = self.scorer(call)
        return await answer if inspect.isawaitable(answer) else answer
