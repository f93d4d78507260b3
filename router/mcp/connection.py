"""One live connection to an MCP server, owned by its own task.

The SDK's `Client` enters anyio task groups and cancel scopes, which must be
left by the task that entered them. The host is started and closed from
whichever tasks the app uses, so each connection lives in a dedicated task
that opens the client, waits to be told to stop, and closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from mcp import Client

_log = logging.getLogger(__name__)

ClientFactory = Callable[[], AbstractAsyncContextManager[Client]]
"""Builds the (not yet entered) client context for one connection attempt."""


class ServerConnection:
    """A connected `Client` for one server, opened and closed by a task of its own."""

    def __init__(self, name: str, factory: ClientFactory) -> None:
        self.name = name
        self._factory = factory
        self.client: Client | None = None
        self.error: str | None = None
        """Why the connection failed or dropped, for the settings screen."""
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None

    async def open(self, timeout_s: float) -> None:
        """Connect, or raise what went wrong (a timeout included) with the task cleaned up."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        self._stop = asyncio.Event()
        self._task = loop.create_task(self._run(ready, self._stop), name=f"mcp:{self.name}")
        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.shield(ready)
        except BaseException as exc:
            await self.close()
            self.error = _describe(exc) if not isinstance(exc, TimeoutError) else "timed out"
            raise

    async def _run(self, ready: asyncio.Future[None], stop: asyncio.Event) -> None:
        try:
            async with self._factory() as client:
                self.client = client
                ready.set_result(None)
                await stop.wait()
        except asyncio.CancelledError:
            if not ready.done():
                ready.cancel()
            raise
        except BaseException as exc:  # a server that crashed must not take the app down
            if not ready.done():
                ready.set_exception(exc)
            else:
                self.error = _describe(exc)
                _log.warning("MCP server %s disconnected: %s", self.name, self.error)
        finally:
            self.client = None

    async def close(self, timeout_s: float = 5.0) -> None:
        """Ask the task to close the client; cancel it if that takes too long."""
        task, self._task = self._task, None
        if task is None:
            return
        if self._stop is not None:
            self._stop.set()
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        if not done:  # a stdio server that ignores EOF: cancelling kills the process
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        elif not task.cancelled() and task.exception() is not None:
            _log.debug("MCP server %s closed with %r", self.name, task.exception())


def _describe(exc: BaseException) -> str:
    """A one-line reason, unwrapping the exception groups anyio raises."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
