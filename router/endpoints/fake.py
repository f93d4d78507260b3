"""A scripted endpoint for tests and demos: no model, deterministic output."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Sequence

from router.endpoints.base import Endpoint, StreamEnd, StreamEvent, TokenDelta
from router.types import EndpointKind, GenerationOptions, Message, ToolSpec, Usage

Responder = Callable[[Sequence[Message]], str]


def echo_responder(messages: Sequence[Message]) -> str:
    """Answer with the last user message, prefixed so tests can tell it apart."""
    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    return f"echo: {last_user}"


class FakeEndpoint(Endpoint):
    """Streams a scripted answer word by word, with usage counted like a real endpoint."""

    def __init__(
        self,
        responder: Responder = echo_responder,
        *,
        name: str = "fake",
        kind: EndpointKind = "local",
        context_window: int = 4096,
        delay_s: float = 0.0,
        price_per_token_usd: float = 0.0,
    ) -> None:
        self.name = name
        self.kind = kind
        self._responder = responder
        self._context_window = context_window
        self._delay_s = delay_s
        self._price = price_per_token_usd
        self.requests: list[tuple[Message, ...]] = []

    @property
    def context_window(self) -> int:
        """Most tokens one request may use."""
        return self._context_window

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Return a flat per-token price, so budget code has something to add up."""
        return (input_tokens + output_tokens) * self._price

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Yield the responder's answer one word at a time."""
        self.requests.append(tuple(messages))
        started = time.perf_counter()
        first: float | None = None
        words = self._responder(messages).split(" ")
        emitted = 0
        finish: str = "stop"
        for i, word in enumerate(words):
            if emitted >= options.max_tokens:
                finish = "length"
                break
            if self._delay_s:
                await asyncio.sleep(self._delay_s)
            if first is None:
                first = time.perf_counter() - started
            emitted += 1
            yield TokenDelta(text=word if i == 0 else " " + word)
        n_in = self.count_tokens(messages)
        yield StreamEnd(
            usage=Usage(
                input_tokens=n_in,
                output_tokens=emitted,
                ttft_s=first,
                latency_s=time.perf_counter() - started,
                cost_usd=self.cost(n_in, emitted),
            ),
            finish_reason="length" if finish == "length" else "stop",
        )
