"""One live connection to an MCP server, owned by its own task.

The SDK's `Client` enters anyio task groups and cancel scopes, which must be
left by the task that entered them. The host is started and closed from
whichever tasks the app uses, so each connection lives in a dedicated task
that opens the client, waits to be told to stop, and closes it.

A connection can drop while the host runs: a server that restarts, or an HTTP
transport whose request the egress guard blocked (the SDK's transport ends the
whole session when one of its requests raises). The host then finds it closed
and connects again (`ServerConnection.reopened`), and tells the model a blocked
call was blocked by the guard, not that the connection closed (`guard_block`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED

from router.errors import EgressBlockedError

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
        self.failure: BaseException | None = None
        """What ended the connection once it was open, if it dropped."""
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._reopen = asyncio.Lock()

    @property
    def closed(self) -> bool:
        """Whether there is no live client: never opened, closed, or dropped."""
        return self._task is None or self._task.done() or self.client is None

    async def reopened(self, timeout_s: float) -> Client:
        """The live client, connecting again first if the connection dropped.

        Raises what `open` raises when the server cannot be reached. Calls that
        find it closed at the same time connect once.
        """
        async with self._reopen:
            if self.closed:
                await self.close()  # reap the ended task
                _log.info("MCP server %s: connecting again (%s)", self.name, self.error)
                await self.open(timeout_s)
        assert self.client is not None  # open() returned: connected
        return self.client

    async def ended(self, timeout_s: float) -> BaseException | None:
        """Wait at most `timeout_s` for a dropping connection to end; what ended it, if anything.

        A call sees "Connection closed" a moment before the connection's task has
        finished and kept why.
        """
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=timeout_s)
        return self.failure

    async def open(self, timeout_s: float) -> None:
        """Connect, or raise what went wrong (a timeout included) with the task cleaned up."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        self.failure = None
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
                self.failure, self.error = exc, _describe(exc)
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


def connection_closed(exc: BaseException) -> bool:
    """Whether a call failed because its connection closed under it."""
    return isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED


def guard_block(exc: BaseException | None) -> EgressBlockedError | None:
    """The egress guard's block inside `exc` (a group, a cause, a context), if any."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:  # chains can loop
            continue
        seen.add(id(current))
        if isinstance(current, EgressBlockedError):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending += current.exceptions
        pending += [current.__cause__, current.__context__]
    return None
