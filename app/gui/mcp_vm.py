"""The MCP section's state: Tandem's own servers, external servers, tools and permissions.

Plain Python (no Flet). Tandem's servers run inside the app through
`AppMcpService` (app/gui/mcp_service.py, imported lazily: the section still
shows the snippet and external servers without it). External servers and
per-tool permissions are saved to the `[mcp]` settings; a permission applies
to the running tool host at once, a new server is connected after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.gui.outcome import ActionOutcome
from app.mcp_cli import claude_desktop_config
from router.config_store import save_and_apply
from router.errors import TandemError
from router.mcp.build import build_host
from router.mcp.host import ToolHost
from router.mcp.settings import McpServerSettings, Permission
from router.runtime import Runtime

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


def _service_class() -> Any:
    try:
        from app.gui.mcp_service import AppMcpService
    except ImportError:
        return None
    return AppMcpService


@dataclass
class McpViewModel(ActionOutcome):
    """State and actions of the MCP section for one page."""

    runtime: Runtime
    on_change: Callable[[], None] = field(default=lambda: None)
    tools: list[ToolRow] = field(default_factory=list)
    tools_loaded: bool = False
    busy: bool = False
    error: str | None = None
    notice: str = ""

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
            return self._fail(TandemError(f"{port_text!r} is not a port", "type e.g. 8765"))
        except TandemError as exc:
            return self._fail(exc)
        self.notice = f"MCP server started at {service.url}"
        return self._done()

    async def stop(self) -> bool:
        """Stop Tandem's MCP server."""
        if self.service is not None:
            await self.service.stop()
        self.notice = "MCP server stopped"
        return self._done()

    # --- external servers -------------------------------------------------------------

    def servers(self) -> list[ServerRow]:
        """The external servers from the settings, with their connection status."""
        host = self.runtime.pipeline.tools
        rows = []
        for entry in self.runtime.settings.mcp.servers:
            transport = f"http {entry.url}" if entry.url else f"stdio {entry.command}"
            if entry.args:
                transport += " " + " ".join(entry.args)
            status = "disabled" if not entry.enabled else "connects after a restart"
            if host is not None and entry.name in host.errors:
                status = f"error: {host.errors[entry.name]}"
            elif (
                host is not None
                and host.started
                and any(t.server == entry.name for t in self.tools)
            ):
                status = "connected"
            rows.append(ServerRow(entry.name, transport, entry.enabled, status))
        return rows

    def add_server(self, name: str, target: str, token_env: str = "") -> bool:
        """Add an external server: `target` is an http(s) URL, or a command and its arguments."""
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
            self._save_servers([*existing, entry])
        except TandemError as exc:
            return self._fail(exc)
        self.notice = f"server {entry.name} added; restart Tandem to connect it"
        return self._done()

    def remove_server(self, name: str) -> bool:
        """Remove external server `name` from the settings."""
        kept = [s for s in self.runtime.settings.mcp.servers if s.name != name]
        try:
            self._save_servers(kept)
        except TandemError as exc:
            return self._fail(exc)
        self.notice = f"server {name} removed; restart Tandem to disconnect it"
        return self._done()

    def _save_servers(self, servers: list[McpServerSettings]) -> None:
        dumped = [s.model_dump(exclude_defaults=True, exclude_none=True) for s in servers]
        save_and_apply(self.runtime, {"mcp": {"servers": dumped}})

    # --- tools and permissions ------------------------------------------------------------

    async def load_tools(self) -> list[ToolRow]:
        """Connect the chat's tool host (if not yet) and list every tool with its permission.

        Servers added since the start are connected on their own, briefly, to list theirs.
        """
        self.busy = True
        self.on_change()
        try:
            rows: list[ToolRow] = []
            host = self.runtime.pipeline.tools
            if host is not None:
                await host.ensure_started()
                rows += self._rows(host)
            known = {r.server for r in rows} | set(host.errors if host else ())
            new = [
                s for s in self.runtime.settings.mcp.servers if s.enabled and s.name not in known
            ]
            if new:
                settings = self.runtime.settings.mcp.model_copy(
                    update={"builtin": [], "servers": new}
                )
                probe = build_host(settings, {}, egress_policy=self.runtime.pipeline.egress_policy)
                async with probe:
                    rows += self._rows(probe)
                if host is not None:
                    host.errors.update(probe.errors)
            self.tools, self.tools_loaded = rows, True
        except TandemError as exc:
            self._fail(exc)
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
            return self._fail(exc)
        host = self.runtime.pipeline.tools
        if host is not None:
            host.permissions[tool] = permission
        self.tools = [
            ToolRow(r.name, r.server, r.description, permission) if r.name == tool else r
            for r in self.tools
        ]
        self.notice = f"{tool}: {permission}"
        return self._done()
