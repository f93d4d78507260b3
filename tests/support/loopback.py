"""An ASGI app served on a free loopback port, for tests and benchmarks that need real HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import uvicorn

from app.gui.main import free_port


@contextmanager
def served_on_loopback(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve the ASGI `app` with uvicorn in a thread on loopback (`port`, or a free one);
    yields its `/mcp` URL (the path a streamable-HTTP MCP app answers on)."""
    chosen = free_port() if port is None else port
    config = uvicorn.Config(app, host="127.0.0.1", port=chosen, log_level="warning")
    with served_in_thread(config, "the loopback test server"):
        yield f"http://127.0.0.1:{chosen}/mcp"


@contextmanager
def served_in_thread(config: uvicorn.Config, what: str) -> Iterator[None]:
    """Run a uvicorn server for `config` in a thread until the block ends; `RuntimeError`
    naming `what` when it has not started within 20 s (or its thread died)."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class LoopbackHttp:
    """An asyncio HTTP/1.1 server on a free loopback port, one request per connection.

    Subclasses write the reply in `answer`; a client that hangs up is not an error.
    """

    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The base URL to give the client."""
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> Self:
        """Start listening."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop listening."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def answer(self, head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        """Write the reply to the request `head` + `body`."""
        raise NotImplementedError

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")), 0,
            )  # fmt: skip
            await self.answer(head, await reader.readexactly(length), writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
