"""The MCP section's state: Tandem's own servers, external servers, tools and permissions.

Plain Python (no Flet). Tandem's servers run inside the app through
`AppMcpService` (app/gui/services/mcp_server.py, imported lazily: the section still
shows the snippet and external servers without it). External servers and
per-tool permissions are saved to the `[mcp]` settings and apply at once: adding,
removing, enabling or disabling a server reconnects the chat's tool host
(`Runtime.reload_tools`), so its tools are offered, or gone, from the next message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.gui.outcome import ActionOutcome
from app.present.mcp import claude_desktop_config
from router import Runtime, TandemError, save_and_apply
from router.mcp.host import ToolHost
from router.mcp.settings import McpServerSettings, Permission
from router.settings.store import updated_document

PERMISSIONS: tuple[Permission, ...] = ("allow", "ask", "deny")


@dataclass(frozen=True)
class ToolRow:
    """One tool of a server, with the permission in force."""

    name: str
    """The prefixed name models see (`server__tool`)."""
    server: str
    description: str
    permission: Permission


@dataclass(frozen=True)
class ServerRow:
    """One external server as listed."""

    name: str
    transport: str
    enabled: bool
    status: str


def _status(entry: McpServerSettings, host: ToolHost | None) -> str:
    """Whether the chat's tool host reached server `entry`, as the server list says it."""
    if host is None:
        return "off: MCP tools are turned off ([mcp] enabled = false)"
    if not entry.enabled:
        return "disabled"
    if entry.name in host.errors:
        return f"failed: {host.errors[entry.name]}"
    return "connected" if host.started else "connects with the first message"


def _service_class() -> Any:
    try:
        from app.gui.services.mcp_server import AppMcpService
    except ImportError:
        return None
    return AppMcpService


@dataclass
class McpViewModel:
    """State and actions of the MCP section for one page."""

    runtime: Runtime
    on_change: Callable[[], None] = field(default=lambda: None)
    tools: list[ToolRow] = field(default_factory=list)
    tools_loaded: bool = False
    busy: bool = False
    outcome: ActionOutcome = field(init=False)
    """How the last action ended (its error or notice)."""

    def __post_init__(self) -> None:
        # A lambda, not the callable itself: the view sets `on_change` after construction.
        self.outcome = ActionOutcome(lambda: self.on_change())

    # --- Tandem's own servers ------------------------------------------------------

    @property
    def service(self) -> Any:
        """The app's MCP service, or None when this build has none."""
        cls = _service_class()
        return cls.for_runtime(self.runtime) if cls else None

    @property
    def running(self) -> bool:
        """Whether Tandem's MCP server is serving now."""
        return bool(self.service and self.service.running)

    def status_text(self) -> str:
        """One line: where the server listens, or why it is not running."""
        service = self.service
        if service is None:
            return "The in-app MCP server is not available in this build; use `tandem mcp serve`."
        if service.running:
            return f"Serving {', '.join(service.servers)} over streamable HTTP at {service.url}"
        if service.last_error:
            return f"Stopped: {service.last_error}"
        return "Stopped. Start it to let MCP clients on this computer use Tandem."

    @property
    def token(self) -> str:
        """The bearer token HTTP clients send (shared with `tandem mcp token`)."""
        from mcp_servers.http_serve import load_or_create_token

        return str(load_or_create_token(self.runtime.paths))

    def claude_desktop_snippet(self) -> str:
        """Claude Desktop's `mcpServers` JSON: it starts `tandem mcp serve` over stdio."""
        return claude_desktop_config(list(self.runtime.settings.mcp.roots), None)

    def http_client_snippet(self) -> str:
        """An HTTP client's config for the running server, or "" when it is stopped."""
        service = self.service
        return str(service.client_config()) if service and service.running else ""

    async def start(self, port_text: str) -> bool:
        """Start Tandem's MCP server on 127.0.0.1:`port_text` (empty: the default 8765)."""
        service = self.service
        try:
            if service is None:
                raise TandemError("no in-app MCP server in this build", "run `tandem mcp serve`")
            port = int(port_text) if port_text.strip() else None
            if port is not None and not 0 <= port <= 65535:
                raise ValueError
            await service.start(port)
        except ValueError:
            return self.outcome.fail(TandemError(f"{port_text!r} is not a port", "type e.g. 8765"))
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = f"MCP server started at {service.url}"
        return self.outcome.done()

    async def stop(self) -> bool:
        """Stop Tandem's MCP server."""
        if self.service is not None:
            await self.service.stop()
        self.outcome.notice = "MCP server stopped"
        return self.outcome.done()

    # --- external servers -------------------------------------------------------------

    def servers(self) -> list[ServerRow]:
        """The external servers from the settings, with their connection status."""
        host = self.runtime.pipeline.tools
        rows = []
        for entry in self.runtime.settings.mcp.servers:
            transport = f"http {entry.url}" if entry.url else f"stdio {entry.command}"
            if entry.args:
                transport += " " + " ".join(entry.args)
            rows.append(ServerRow(entry.name, transport, entry.enabled, _status(entry, host)))
        return rows

    async def add_server(self, name: str, target: str, token_env: str = "") -> bool:
        """Add an external server and connect it: `target` is an http(s) URL, or a command."""
        target = target.strip()
        try:
            if not target:
                raise TandemError("give a URL or a command", "e.g. https://host/mcp or notes-mcp")
            fields: dict[str, Any] = {"name": name.strip()}
            if target.startswith(("http://", "https://")):
                fields.update(url=target, token_env=token_env.strip() or None)
            else:
                command, *args = target.split()
                fields.update(command=command, args=args)
            try:
                entry = McpServerSettings(**fields)
            except ValidationError as exc:
                raise TandemError(
                    exc.errors()[0]["msg"].removeprefix("Value error, "), "fix it"
                ) from exc
            existing = self.runtime.settings.mcp.servers
            if any(s.name == entry.name for s in existing):
                raise TandemError(f"a server is already named {entry.name!r}", "pick another name")
            await self._apply_servers([*existing, entry])
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = (
            f"server {entry.name} added: {_status(entry, self.runtime.pipeline.tools)}"
        )
        return self.outcome.done()

    async def remove_server(self, name: str) -> bool:
        """Remove external server `name`; its tools are gone from the next message."""
        kept = [s for s in self.runtime.settings.mcp.servers if s.name != name]
        try:
            await self._apply_servers(kept)
        except TandemError as exc:
            return self.outcome.fail(exc)
        self.outcome.notice = f"server {name} removed and disconnected"
        return self.outcome.done()

    async def set_server_enabled(self, name: str, enabled: bool) -> bool:
        """Connect (`enabled`) or disconnect external server `name`, keeping its settings."""
        servers = self.runtime.settings.mcp.servers
        try:
            if not any(s.name == name for s in servers):
                raise TandemError(f"no server named {name!r}", "reopen the MCP section")
            await self._apply_servers(
                [
                    s.model_copy(update={"enabled": enabled}) if s.name == name else s
                    for s in servers
                ]
            )
        except TandemError as exc:
            return self.outcome.fail(exc)
        entry = next(s for s in self.runtime.settings.mcp.servers if s.name == name)
        self.outcome.notice = f"server {name}: {_status(entry, self.runtime.pipeline.tools)}"
        return self.outcome.done()

    async def _apply_servers(self, servers: list[McpServerSettings]) -> None:
        """Reconnect the chat's tool host to `servers`, then save them (neither on failure)."""
        dumped = [s.model_dump(exclude_defaults=True, exclude_none=True) for s in servers]
        change = {"mcp": {"servers": dumped}}
        runtime = self.runtime
        _, settings = updated_document(runtime.paths, change)  # refused values fail here
        previous = runtime.settings.mcp
        self.busy = True
        self.on_change()
        try:
            await runtime.reload_tools(settings)
            try:
                save_and_apply(runtime, change)
            except TandemError:
                await runtime.reload_tools(previous)  # not saved, so back to what is saved
                raise
        finally:
            self.busy = False
        if self.tools_loaded:
            self.tools = self._rows(runtime.pipeline.tools) if runtime.pipeline.tools else []

    # --- tools and permissions ------------------------------------------------------------

    async def load_tools(self) -> list[ToolRow]:
        """Connect the chat's tool host (if not yet) and list every tool with its permission."""
        self.busy = True
        self.on_change()
        try:
            host = self.runtime.pipeline.tools
            rows: list[ToolRow] = []
            if host is not None:
                await host.ensure_started()
                rows = self._rows(host)
            self.tools, self.tools_loaded = rows, True
        except TandemError as exc:
            self.outcome.fail(exc)
        finally:
            self.busy = False
            self.on_change()
        return self.tools

    def _rows(self, host: ToolHost) -> list[ToolRow]:
        saved = self.runtime.settings.mcp.permissions
        specs = {t.name: t for t in host.tools()}
        # Denied tools are not offered, so `tools()` leaves them out; the saved ones come back.
        denied = [n for n, p in saved.items() if p == "deny" and host.route(n) and n not in specs]
        rows = []
        for name in [*specs, *denied]:
            route = host.route(name)
            spec = specs.get(name)
            rows.append(
                ToolRow(
                    name=name,
                    server=route[0] if route else name.split("__")[0],
                    description=spec.description if spec else "",
                    permission=host.permission(name),
                )
            )
        return rows

    def set_permission(self, tool: str, permission: Permission) -> bool:
        """Allow, ask before, or deny tool `tool` (its prefixed name); applies at once."""
        try:
            if permission not in PERMISSIONS:
                raise TandemError(f"unknown permission {permission!r}", "use allow, ask or deny")
            merged = {**self.runtime.settings.mcp.permissions, tool: permission}
            save_and_apply(self.runtime, {"mcp": {"permissions": merged}})
        except TandemError as exc:
            return self.outcome.fail(exc)
        host = self.runtime.pipeline.tools
        if host is not None:
            host.permissions[tool] = permission
        self.tools = [
            ToolRow(r.name, r.server, r.description, permission) if r.name == tool else r
            for r in self.tools
        ]
        self.outcome.notice = f"{tool}: {permission}"
        return self.outcome.done()
