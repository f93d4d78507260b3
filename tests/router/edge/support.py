"""Helpers for edge server tests: run the app with uvicorn in a thread, read raw SSE."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import aclosing, contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from router.edge.server import bind
from router.endpoints.base import StreamEnd, StreamEvent, TokenDelta
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.types import GenerationOptions, Message, ToolSpec

KEY = "edge-test-key-5b1f0c9e"
HELLO = [{"role": "user", "content": "hello"}]


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it accepts requests (no polling, no sleeps)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@contextmanager
def run_server(app: Starlette) -> Iterator[str]:
    """Serve `app` on a free loopback port from a background thread; yield its base URL."""
    sock = bind("127.0.0.1", 0)  # the server's own socket setup (TCP_NODELAY included)
    port = sock.getsockname()[1]
    # log_config=None: uvicorn's loggers propagate to the root logger, so caplog sees them.
    config = uvicorn.Config(app, log_config=None, log_level="debug", timeout_graceful_shutdown=2)
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert server.ready.wait(60), "the edge server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Yield (event name, data) from an Anthropic-style event stream, as sent."""
    name = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


class SpyEndpoint(LlamaCppEndpoint):
    """The real llama.cpp endpoint, recording whether a stream was closed before its end."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first_token = threading.Event()
        self.closed_early = threading.Event()
        self.finished = threading.Event()

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncIterator[StreamEvent]:
        ended = False
        try:
            async with aclosing(super().stream(messages, options, tools)) as events:
                async for event in events:
                    if isinstance(event, TokenDelta):
                        self.first_token.set()
                    ended = isinstance(event, StreamEnd)
                    yield event
        finally:
            (self.finished if ended else self.closed_early).set()
