"""A scripted endpoint for tests and demos: no model, deterministic output.

`FakeEndpoint` is the `FunctionEndpoint` preset most tests need: a responder
turns the messages into the answer's text, streamed one word at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence

from router.endpoints.function import EndpointCall, FunctionEndpoint, StreamHandler
from router.types import EndpointKind, Message

Responder = Callable[[Sequence[Message]], str]


def echo_responder(messages: Sequence[Message]) -> str:
    """Answer with the last user message, prefixed so tests can tell it apart."""
    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    return f"echo: {last_user}"


def words(text: str) -> list[str]:
    """`text` as a word-by-word stream sends it: every word after the first keeps its space."""
    return [word if i == 0 else " " + word for i, word in enumerate(text.split(" "))]


def word_by_word(responder: Responder, delay_s: float = 0.0) -> StreamHandler:
    """A handler that streams `responder`'s answer one word at a time, `delay_s` apart."""

    async def stream_words(call: EndpointCall) -> AsyncGenerator[str, None]:
        for piece in words(responder(call.messages)):
            if delay_s:
                await asyncio.sleep(delay_s)
            yield piece

    return stream_words


class FakeEndpoint(FunctionEndpoint):
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
        mine: bool = False,
    ) -> None:
        """`kind` is where the endpoint it stands in for runs (`mine`: an edge of the user's);
        the price is per token, both ways."""
        super().__init__(
            word_by_word(responder, delay_s),
            name=name,
            kind=kind,
            context_window=context_window,
            price_in_per_token=price_per_token_usd,
            price_out_per_token=price_per_token_usd,
            mine=mine,
        )
