"""The tool host: connects to MCP servers, lists their tools and runs calls for the models.

Servers are the app's own (in-process `MCPServer` objects), stdio commands and
streamable-HTTP URLs the user listed. Their tools are offered to models as
`server__tool`, so a model sees which server a tool belongs to and the privacy
rules can match on both. Every call goes through the tool's permission
(`allow` / `ask` / `deny`) and a timeout, and ends as a `ToolResult`: failures
are error results the model can read, never exceptions into the turn.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer

from router.mcp.connection import ServerConnection, connection_closed, guard_block
from router.mcp.results import result_text, truncate
from router.mcp.settings import Permission
from router.mcp.untrusted import confirmation_reason, refusal, side_effecting
from router.privacy.guard import EgressPolicy, guarded_httpx2_client
from router.types import ToolCall, ToolResult, ToolSpec

_log = logging.getLogger(__name__)

SEPARATOR = "__"
"""Between server and tool in the names models see (`sensors__battery`)."""
_MAX_NAME = 64  # the longest tool name the Anthropic and OpenAI APIs accept
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_MAX_PAGES = 50  # a server whose listing never ends cannot hang the host
_DROP_WAIT_S = 5.0  # prior: a dropped connection's task ends within a few loop turns


@dataclass(frozen=True)
class ToolRequest:
    """A call waiting for the user's go-ahead, as the confirmation dialog shows it."""

    name: str
    server: str
    tool: str
    arguments: Mapping[str, Any]
    description: str
    off_device: bool
    reason: str | None = None
    """Why the user is asked besides the settings: "this request followed text from report.txt"."""


@dataclass(frozen=True)
class _Consent:
    """A call's permission check: why it may not run, or whether the user allowed it."""

    refusal: str | None = None
    asked: bool = False
    """The user said yes in a dialog for this call."""


Confirm = Callable[[ToolRequest], Awaitable[bool]]
"""Asks the user whether a call may run; True allows it."""

Transport = Literal["in_process", "stdio", "http"]


@dataclass(frozen=True)
class _Route:
    server: str
    tool: str
    spec: ToolSpec


@dataclass
class _Server:
    name: str
    transport: Transport
    factory: Callable[[], AbstractAsyncContextManager[Client]]
    permission: Permission
    tools: Mapping[str, Permission] = field(default_factory=dict)
    connection: ServerConnection | None = None


class ToolHost:
    """Connects to MCP servers and runs their tools with permissions and timeouts."""

    def __init__(
        self,
        *,
        confirm: Confirm | None = None,
        permissions: Mapping[str, Permission] | None = None,
        egress_policy: EgressPolicy | None = None,
        call_timeout_s: float = 30.0,
        connect_timeout_s: float = 15.0,
        confirm_timeout_s: float = 120.0,
        max_result_chars: int = 16_000,
        injection_defences: bool = True,
    ) -> None:
        self.confirm = confirm
        self.permissions: dict[str, Permission] = dict(permissions or {})
        """Overrides by prefixed tool name or server name; the most specific wins."""
        self.egress_policy = egress_policy if egress_policy is not None else EgressPolicy()
        """Consulted by the HTTP servers' guarded clients (the runtime passes the pipeline's)."""
        self.call_timeout_s = call_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.confirm_timeout_s = confirm_timeout_s
        self.max_result_chars = max_result_chars
        self.injection_defences = injection_defences
        """Confirm side-effecting calls that follow untrusted text (off only to measure them)."""
        self.errors: dict[str, str] = {}
        """Servers that could not be connected, with why."""
        self._allowed_running: list[ToolCall] = []
        """Calls the user allowed in a dialog, while they run (see `allowed_running`)."""
        self._servers: dict[str, _Server] = {}
        self._routes: dict[str, _Route] = {}
        self._started = False
        self._start_lock = asyncio.Lock()

    # -- servers ------------------------------------------------------------------------

    def add_server(
        self,
        name: str,
        server: MCPServer,
        *,
        permission: Permission = "allow",
        tools: Mapping[str, Permission] | None = None,
    ) -> None:
        """Add one of the app's own servers, connected in-process."""
        self._add(_Server(name, "in_process", lambda: Client(server), permission, tools or {}))

    def add_stdio(
        self,
        name: str,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        permission: Permission = "ask",
        tools: Mapping[str, Permission] | None = None,
    ) -> None:
        """Add a server the host starts as a subprocess and talks to over stdin/stdout."""
        params = StdioServerParameters(command=command, args=list(args), env=dict(env or {}))
        self._add(_Server(name, "stdio", lambda: Client(params), permission, tools or {}))

    def add_http(
        self,
        name: str,
        url: str,
        *,
        token: str | None = None,
        permission: Permission = "ask",
        tools: Mapping[str, Permission] | None = None,
    ) -> None:
        """Add a streamable-HTTP server, sending `token` as a bearer token if given.

        Its HTTP client is guarded like the cloud endpoints' (with the host's egress
        policy): a call whose arguments carry a protected value is blocked before it leaves.
        """
        factory = lambda: self._http_client(name, url, token)  # noqa: E731
        self._add(_Server(name, "http", factory, permission, tools or {}))

    def _add(self, server: _Server) -> None:
        if self._started:
            raise RuntimeError("add servers before start()")
        if server.name in self._servers or SEPARATOR in server.name or not server.name:
            raise ValueError(f"bad or duplicate MCP server name {server.name!r}")
        self._servers[server.name] = server

    @asynccontextmanager
    async def _http_client(self, name: str, url: str, token: str | None) -> Any:
        timeout = httpx2.Timeout(30.0, read=300.0)
        http = guarded_httpx2_client(self.egress_policy, f"MCP server {name}", timeout=timeout)
        if token:
            http.headers["Authorization"] = f"Bearer {token}"
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            yield client

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """True once `start` has run (whatever each server's outcome)."""
        return self._started

    async def ensure_started(self) -> None:
        """Start the host once, however many turns ask at the same time."""
        async with self._start_lock:
            if not self._started:
                await self.start()

    async def start(self) -> None:
        """Connect to every server and list its tools; a server that fails is skipped.

        Failures are kept in `errors` (and logged) so one broken server costs
        only its own tools.
        """
        self._started = True
        await asyncio.gather(*(self._connect(s) for s in self._servers.values()))

    async def _connect(self, server: _Server) -> None:
        connection = ServerConnection(server.name, server.factory)
        try:
            await connection.open(self.connect_timeout_s)
            assert connection.client is not None  # open() returned: connected
            listed = await asyncio.wait_for(
                _list_tools(connection.client), timeout=self.connect_timeout_s
            )
        except Exception as exc:
            await connection.close()
            self.errors[server.name] = connection.error or f"{type(exc).__name__}: {exc}"
            _log.warning("MCP server %s unavailable: %s", server.name, self.errors[server.name])
            return
        server.connection = connection
        for tool in listed:
            # A server that already prefixes its tools ("sensors_battery") is not prefixed twice.
            own = tool.name.removeprefix(f"{server.name}_")
            name = self._unique(f"{server.name}{SEPARATOR}{_UNSAFE.sub('_', own)}")
            spec = ToolSpec(
                name=name,
                description=tool.description or tool.title or "",
                input_schema=dict(tool.input_schema) or {"type": "object", "properties": {}},
            )
            self._routes[name] = _Route(server.name, tool.name, spec)

    def _unique(self, name: str) -> str:
        name = name[:_MAX_NAME]
        candidate, n = name, 2
        while candidate in self._routes:
            suffix = f"_{n}"
            candidate, n = name[: _MAX_NAME - len(suffix)] + suffix, n + 1
        return candidate

    async def aclose(self) -> None:
        """Close every connection (stdio servers are stopped); safe to call twice."""
        servers = [s for s in self._servers.values() if s.connection is not None]
        await asyncio.gather(*(s.connection.close() for s in servers if s.connection))
        for server in servers:
            server.connection = None
        self._routes.clear()

    async def __aenter__(self) -> ToolHost:
        """Start the host."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the host."""
        await self.aclose()

    # -- tools --------------------------------------------------------------------------

    def tools(self) -> tuple[ToolSpec, ...]:
        """The tools offered to models: every connected server's, except denied ones."""
        return tuple(r.spec for n, r in self._routes.items() if self.permission(n) != "deny")

    def route(self, name: str) -> tuple[str, str] | None:
        """(server, the server's own tool name) for a prefixed name, or None if unknown."""
        route = self._routes.get(name)
        return (route.server, route.tool) if route else None

    def permission(self, name: str) -> Permission:
        """The permission of a prefixed tool name: host override, server's tool, server."""
        route = self._routes.get(name)
        if route is None:
            return "deny"
        server = self._servers[route.server]
        for permission in (
            self.permissions.get(name),
            server.tools.get(route.tool),
            self.permissions.get(route.server),
        ):
            if permission is not None:
                return permission
        return server.permission

    def off_device(self, name: str) -> bool:
        """Whether calling this tool sends its arguments to another machine (HTTP servers)."""
        route = self._routes.get(name)
        return route is not None and self._servers[route.server].transport == "http"

    async def call(self, call: ToolCall, *, followed: str | None = None) -> ToolResult:
        """Run one call after its permission check; every failure is an error result.

        `followed` names the untrusted text already in the turn's context (a tool
        result, an attached file): a side-effecting call then needs the user's yes.
        """
        route = self._routes.get(call.name)
        if route is None:
            return _error(call, f"there is no tool named {call.name}")
        consent = await self._consent(call, route, followed)
        if consent.refusal is not None:
            return _error(call, consent.refusal)
        connection = self._servers[route.server].connection
        if connection is None:
            return _error(call, f"the MCP server {route.server} is not connected")
        try:  # a connection that dropped (a restart, a guard block) is made again
            client = await connection.reopened(self.connect_timeout_s)
        except Exception as exc:
            return _error(call, f"the MCP server {route.server} is not connected: {_reason(exc)}")
        if consent.asked:
            self._allowed_running.append(call)
        try:
            async with asyncio.timeout(self.call_timeout_s):
                result = await client.call_tool(route.tool, dict(call.arguments))
        except TimeoutError:
            return _error(call, f"{call.name} did not answer within {self.call_timeout_s:g} s")
        except Exception as exc:  # the model reads the reason and can try something else
            return _error(call, await _failure(call, connection, exc))
        finally:
            if consent.asked:
                self._allowed_running.remove(call)
        text = result_text(result, self.max_result_chars)
        return ToolResult(call_id=call.id, content=text, is_error=result.is_error)

    def allowed_running(self, name: str) -> list[Mapping[str, Any]]:
        """The arguments of the calls to `name` the user allowed in a dialog that run now.

        A tool that asks the user itself (the built-in files server's writes,
        router/mcp/write_confirm.py) need not ask again about one of these.
        """
        return [c.arguments for c in self._allowed_running if c.name == name]

    async def _consent(self, call: ToolCall, route: _Route, followed: str | None) -> _Consent:
        """Whether `call` may run by its permission, asking the user where it must."""
        permission = self.permission(call.name)
        if permission == "deny":
            return _Consent(f"{call.name} is not allowed (denied in the settings)")
        gated = followed if self.injection_defences else None
        reason: str | None = None
        if gated is not None and side_effecting(call.name, permission):
            if self.confirm is None:
                return _Consent(refusal(call.name, gated))
            reason = confirmation_reason(gated)
        elif permission != "ask":
            return _Consent()
        if not await self._confirmed(call, route, reason):
            return _Consent(f"the user did not allow {call.name} to run")
        return _Consent(asked=True)

    async def _confirmed(self, call: ToolCall, route: _Route, reason: str | None = None) -> bool:
        """Ask the app's callback; no callback, a timeout or a failure all mean no."""
        if self.confirm is None:
            return False
        request = ToolRequest(
            name=call.name,
            server=route.server,
            tool=route.tool,
            arguments=call.arguments,
            description=route.spec.description,
            off_device=self.off_device(call.name),
            reason=reason,
        )
        try:
            async with asyncio.timeout(self.confirm_timeout_s):
                return bool(await self.confirm(request))
        except TimeoutError:
            return False
        except Exception:
            _log.exception("the tool confirmation callback failed; refusing %s", call.name)
            return False


async def _list_tools(client: Client) -> list[Any]:
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


async def _failure(call: ToolCall, connection: ServerConnection, exc: Exception) -> str:
    """Why `call` failed, as the model reads it; a guard block says so (never the value)."""
    block = guard_block(exc)
    if block is None and connection_closed(exc):
        # The guard's error ended the connection's task rather than this call.
        block = guard_block(await connection.ended(_DROP_WAIT_S))
    if block is not None:
        return (
            f"{call.name} was not sent: the privacy guard {block.message}; leave that data "
            "out, or use a tool on this device"
        )
    return f"{call.name} failed: {_reason(exc)}"


def _error(call: ToolCall, message: str) -> ToolResult:
    return ToolResult(call_id=call.id, content=truncate(message, 2000), is_error=True)


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
