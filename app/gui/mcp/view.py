"""The MCP section: Tandem's own servers (start/stop, address, token, snippets) and the
external servers (added, removed, switched on and off live) with their tools and
per-tool permissions. Renders `McpViewModel`."""

from __future__ import annotations

from typing import cast

import flet as ft

from app.gui.mcp.view_model import PERMISSIONS, McpViewModel, ServerRow, ToolRow
from app.gui.widgets import settings as w
from app.gui.widgets.labelled import icon_button
from router import Runtime
from router.mcp.settings import Permission


def _code(text: str = "") -> ft.Container:
    """A selectable monospace block (snippets, the token)."""
    return ft.Container(
        ft.Text(text, selectable=True, font_family="monospace", size=12),
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        padding=8,
        border_radius=ft.BorderRadius.all(6),
    )


class McpView:
    """The controls of the MCP section for one page."""

    def __init__(self, vm: McpViewModel) -> None:
        self.vm = vm
        self.notice, self.error = w.message_line()
        self.status = ft.Text()
        self.port = ft.TextField(label="Port", value="8765", width=110, dense=True)
        self.start_button = ft.FilledButton("Start", icon=ft.Icons.PLAY_ARROW, on_click=self._start)
        self.stop_button = ft.OutlinedButton("Stop", icon=ft.Icons.STOP, on_click=self._stop)
        self.token = ft.Text(selectable=True, font_family="monospace", size=12)
        self.http_snippet = _code()
        self.http_hint = w.hint("For MCP clients over HTTP (replace <token> with the token):")
        self.desktop_snippet = _code()
        self.server_list = ft.Column(spacing=4)
        self.new_name = ft.TextField(label="Name", width=140, dense=True)
        self.new_target = ft.TextField(
            label="https://… URL, or a command and its arguments", expand=True, dense=True
        )
        self.new_token_env = ft.TextField(label="Token variable (URL only)", width=200, dense=True)
        self.add_button = ft.FilledTonalButton("Add", icon=ft.Icons.ADD, on_click=self._add)
        self.tool_list = ft.Column(spacing=2)
        self.tools_button = ft.OutlinedButton(
            "List tools", icon=ft.Icons.BUILD, on_click=self._load_tools
        )
        self.tools_progress = ft.ProgressBar(visible=False)
        self.root = self._layout()

    def _layout(self) -> w.ShownColumn:
        """The controls, top to bottom."""
        return w.scrolling(
            w.title("MCP"),
            self.notice,
            self.error,
            w.card(
                w.subtitle("Tandem's servers"),
                w.hint(
                    "Let MCP clients on this computer (Claude Desktop, Claude Code, MCP "
                    "Inspector) use this device's camera, sensors, files and assistant."
                ),
                self.status,
                ft.Row([self.port, self.start_button, self.stop_button]),
                ft.Row(
                    [
                        ft.Text("Token:", weight=ft.FontWeight.BOLD),
                        self.token,
                        icon_button(ft.Icons.COPY, "Copy token", self._copy_token),
                    ],
                    wrap=True,
                ),
                self.http_hint,
                self.http_snippet,
                ft.Row(
                    [
                        ft.Text("Claude Desktop (stdio)", weight=ft.FontWeight.BOLD),
                        icon_button(ft.Icons.COPY, "Copy snippet", self._copy_snippet),
                    ]
                ),
                w.hint("Paste into claude_desktop_config.json; Claude Desktop starts Tandem."),
                self.desktop_snippet,
            ),
            w.card(
                w.subtitle("External servers"),
                self.server_list,
                w.form_row(
                    (self.new_name, 2),
                    (self.new_target, 5),
                    (self.new_token_env, 3),
                    (self.add_button, 2),
                ),
            ),
            w.card(
                ft.Row(
                    [w.subtitle("Tools and permissions"), self.tools_button],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                ),
                w.hint("allow: runs at once · ask: you confirm each call · deny: never offered"),
                self.tools_progress,
                self.tool_list,
            ),
        )

    def render(self) -> None:
        """Bring the controls in line with the view-model and push them to the browser."""
        vm = self.vm
        w.show_messages(self.notice, self.error, vm.outcome.notice, vm.outcome.error)
        self.status.value = vm.status_text()
        self.start_button.disabled = vm.service is None or vm.running
        self.stop_button.disabled = not vm.running
        self.token.value = vm.token
        snippet = vm.http_client_snippet()
        self.http_snippet.visible = self.http_hint.visible = bool(snippet)
        cast(ft.Text, self.http_snippet.content).value = snippet
        cast(ft.Text, self.desktop_snippet.content).value = vm.claude_desktop_snippet()
        self.server_list.controls = [self._server_row(s) for s in vm.servers()] or [
            w.hint("None yet. Tandem's own sensors and files are always available.")
        ]
        self.tools_progress.visible = vm.busy
        self.tools_button.disabled = self.add_button.disabled = vm.busy
        if vm.tools_loaded:
            self.tool_list.controls = [self._tool_row(t) for t in vm.tools] or [
                w.hint("No tools found.")
            ]
        else:
            self.tool_list.controls = [w.hint("Press “List tools” to connect and see them.")]
        w.refresh(self.root)

    def _server_row(self, server: ServerRow) -> ft.Control:
        async def toggle(e: ft.Event[ft.Switch]) -> None:
            await self.vm.set_server_enabled(server.name, bool(e.control.value))

        async def remove() -> None:
            await self.vm.remove_server(server.name)

        failed = server.status.startswith("failed")
        delete = icon_button(ft.Icons.DELETE, f"Remove {server.name}", remove)
        delete.disabled = self.vm.busy
        return ft.Row(
            [
                ft.Switch(
                    value=server.enabled,
                    on_change=toggle,
                    tooltip="Connected to the chat",
                    disabled=self.vm.busy,
                ),
                ft.Text(server.name, weight=ft.FontWeight.BOLD),
                ft.Text(server.transport, size=12, expand=True),
                ft.Text(server.status, size=12, color=ft.Colors.ERROR if failed else None),
                delete,
            ]
        )

    def _tool_row(self, tool: ToolRow) -> ft.Control:
        def choose(value: str) -> None:
            self.vm.set_permission(tool.name, cast(Permission, value))

        return ft.Row(
            [
                w.dropdown("", tool.permission, list(PERMISSIONS), choose, width=110),
                ft.Column(
                    [
                        ft.Text(tool.name, weight=ft.FontWeight.BOLD, size=13),
                        w.hint(tool.description.split("\n")[0][:160]),
                    ],
                    spacing=0,
                    expand=True,
                ),
            ]
        )

    async def _start(self) -> None:
        await self.vm.start(self.port.value or "")

    async def _stop(self) -> None:
        await self.vm.stop()

    async def _add(self) -> None:
        ok = await self.vm.add_server(
            self.new_name.value or "", self.new_target.value or "", self.new_token_env.value or ""
        )
        if ok:
            self.new_name.value = self.new_target.value = self.new_token_env.value = ""
            self.render()

    async def _load_tools(self) -> None:
        await self.vm.load_tools()

    async def _copy_token(self) -> None:
        await ft.Clipboard().set(self.vm.token)
        self.vm.outcome.notice = "token copied"
        self.render()

    async def _copy_snippet(self) -> None:
        await ft.Clipboard().set(self.vm.claude_desktop_snippet())
        self.vm.outcome.notice = "snippet copied"
        self.render()


def build_mcp_view(page: ft.Page, runtime: Runtime) -> ft.Control:
    """Return the MCP section for `page`; Tandem's server is the app's `AppMcpService`."""
    view = McpView(McpViewModel(runtime))
    view.vm.on_change = view.render
    # Re-read on each visit: chat turns change the log, other tabs the settings.
    view.root.when_shown(view.render)
    view.render()
    return view.root
