"""A server connection that drops is made again, and keeps what ended it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import anyio
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, INTERNAL_ERROR

from router.errors import EgressBlockedError
from router.mcp.connection import ServerConnection, connection_closed, guard_block


class Dropping:
    """Client contexts whose transport fails when told to, as the SDK's HTTP one does."""

    def __init__(self) -> None:
        self.opened = 0
        self.failure: BaseException = RuntimeError("server went away")
        self._drop = asyncio.Event()

    def drop(self, failure: BaseException | None = None) -> None:
        """Make the open connection's transport fail (with `failure`, if given)."""
        self.failure = failure or self.failure
        self._drop.set()

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Client]:
        """One connection: a stand-in client over a task group a failing task ends."""
        self.opened += 1
        self._drop = asyncio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._fails_when_dropped, self._drop)
            yield cast(Client, object())
            tg.cancel_scope.cancel()

    async def _fails_when_dropped(self, drop: asyncio.Event) -> None:
        await drop.wait()
        raise self.failure


async def test_a_dropped_connection_is_made_again_on_the_next_use() -> None:
    server = Dropping()
    connection = ServerConnection("s", server.client)
    await connection.open(5)
    first = await connection.reopened(5)
    assert server.opened == 1 and not connection.closed
    server.drop()
    ended = await connection.ended(5)
    assert isinstance(ended, BaseExceptionGroup) and connection.closed
    assert connection.error == "RuntimeError: server went away"
    again = await asyncio.gather(connection.reopened(5), connection.reopened(5))
    assert server.opened == 2  # two calls found it closed; it was connected once
    assert again[0] is again[1] is not first and not connection.closed
    assert connection.failure is None  # the new connection has not failed
    await connection.close()


async def test_a_guard_block_that_ended_a_connection_is_found_in_its_failure() -> None:
    server = Dropping()
    connection = ServerConnection("s", server.client)
    await connection.open(5)
    block = EgressBlockedError("blocked a request to MCP server s: it contained data (VALUE)")
    server.drop(block)
    assert guard_block(await connection.ended(5)) is block
    assert guard_block(RuntimeError("other")) is None and guard_block(None) is None
    await connection.close()


def test_a_guard_block_is_found_through_causes_and_groups() -> None:
    block = EgressBlockedError("blocked")
    wrapped: Any = RuntimeError("transport failed")
    wrapped.__cause__ = ExceptionGroup("tasks", [ValueError("x"), block])
    assert guard_block(wrapped) is block


def test_only_a_closed_connection_error_counts_as_closed() -> None:
    assert connection_closed(MCPError(CONNECTION_CLOSED, "Connection closed"))
    assert not connection_closed(MCPError(INTERNAL_ERROR, "tool failed"))
    assert not connection_closed(RuntimeError("Connection closed"))
