"""A uvicorn server on the app's own event loop, and one such service per runtime.

The LAN view (app/lan/service.py) and the in-app MCP server (app/gui/services/mcp_server.py)
both run a second server inside the app: started on an already bound socket, stopped by the
app (app/shutdown.py), never by a signal handler of uvicorn's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol, TypeVar

import uvicorn

if TYPE_CHECKING:
    from router import Runtime


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the app's stop decides (app/shutdown.py)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install no handlers: Ctrl-C and SIGTERM stay the app's."""
        yield


def serve_in_task(
    config: uvicorn.Config, sock: socket.socket
) -> tuple[QuietServer, asyncio.Task[None]]:
    """Start serving `config`'s app on `sock` (bound by the caller) in a task of this loop."""
    server = QuietServer(config)
    return server, asyncio.create_task(server.serve(sockets=[sock]))


async def until_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Return once `server` accepts connections, or its task has ended (it failed)."""
    while not server.started and not task.done():
        await asyncio.sleep(0.02)  # uvicorn signals readiness by a flag only


async def stop_serving(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Ask `server` to exit (open connections are closed) and wait for its task."""
    server.should_exit = True
    with contextlib.suppress(Exception):
        await task


class _OfRuntime(Protocol):
    @property
    def runtime(self) -> Runtime: ...


_Service = TypeVar("_Service", bound=_OfRuntime)


def one_per_runtime(
    services: dict[int, _Service], runtime: Runtime, make: Callable[[Runtime], _Service]
) -> _Service:
    """The service `services` keeps for `runtime`, made by `make` on first use.

    Kept by `id(runtime)`: a runtime made where a freed one lived gets the same id, so the
    kept service's own runtime is checked as well.
    """
    service = services.get(id(runtime))
    if service is None or service.runtime is not runtime:
        service = services[id(runtime)] = make(runtime)
    return service
