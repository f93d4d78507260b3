"""Deterministic stand-ins for team tests and the traffic benchmark (no model involved)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence

from router.endpoints.base import Endpoint, StreamEnd, StreamEvent, TokenDelta
from router.endpoints.fake import Responder
from router.types import EndpointKind, GenerationOptions, Message, ToolSpec, Usage


def growing_responder(base_words: int = 12, per_words: int = 10, final: str = "42") -> Responder:
    """Answers that lengthen with the context received.

    An answer is `base_words` words, plus one word for every `per_words` words
    of prompt (system included), ending with `final` on its own last line, so
    a debate's messages grow as the exchanges they quote grow.
    """

    def respond(messages: Sequence[Message]) -> str:
        received = sum(len(m.content.split()) for m in messages)
        n = base_words + received // per_words
        return " ".join(f"w{i}" for i in range(n - 1)) + f"\n{final}"

    return respond


class OverlapProbe(Endpoint):
    """An async endpoint that records how many of its calls were in flight at once.

    Each call yields to the event loop `hops` times before answering, so calls
    started together by `asyncio.gather` overlap and calls run one after the
    other do not; no clock is involved.
    """

    def __init__(
        self,
        answer: Callable[[Sequence[Message]], str] = lambda _m: "7",
        *,
        name: str = "probe",
        kind: EndpointKind = "local",
        hops: int = 5,
    ) -> None:
        self.name = name
        self.kind = kind
        self._answer = answer
        self._hops = hops
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls = 0

    @property
    def context_window(self) -> int:
        """Large enough for any test prompt."""
        return 1 << 16

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Hold the call open for a few loop turns, then answer."""
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            for _ in range(self._hops):
                await asyncio.sleep(0)
            text = self._answer(messages)
        finally:
            self.in_flight -= 1
        yield TokenDelta(text=text)
        usage = Usage(input_tokens=self.count_tokens(messages), output_tokens=len(text.split()))
        yield StreamEnd(usage=usage, finish_reason="stop")
