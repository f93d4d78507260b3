"""The MCP view-model: Tandem's server, external servers, their tools and permissions."""

from __future__ import annotations

import json
import socket
import sys
import tomllib
from pathlib import Path
from unittest.mock import AsyncMock

import httpx

from app.gui.mcp.view_model import McpViewModel
from mcp_servers.http_serve import load_or_create_token
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.runtime.compose import Runtime
from tests.app.conftest import RuntimeFactory

STDIO_SERVER = Path(__file__).parents[3] / "support" / "mcp_stdio_server.py"


def local_fake() -> FakeEndpoint:
    return FakeEndpoint(name="local", kind="local")


def saved_mcp(home: TandemPaths) -> dict[str, object]:
    data = tomllib.loads(home.config_file.read_text("utf-8"))
    mcp: dict[str, object] = data["mcp"]
    return mcp


def offered(runtime: Runtime) -> set[str]:
    """The tools the chat's host offers the models now."""
    host = runtime.pipeline.tools
    assert host is not None
    return {t.name for t in host.tools()}


async def test_an_external_server_connects_at_once_and_can_be_disabled_and_removed(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = McpViewModel(runtime)
        consent = AsyncMock(return_value=True)
        assert runtime.pipeline.tools is not None
        runtime.pipeline.tools.confirm = consent  # the app's consent dialog
        assert await vm.add_server("echo", f"{sys.executable} {STDIO_SERVER}")

        assert vm.outcome.notice == "server echo added: connected"
        assert saved_mcp(tandem_home)["servers"] == [
            {"name": "echo", "command": sys.executable, "args": [str(STDIO_SERVER)]}
        ]
        [row] = vm.servers()
        assert (row.name, row.enabled, row.status) == ("echo", True, "connected")
        assert row.transport == f"stdio {sys.executable} {STDIO_SERVER}"
        assert {"echo__battery", "echo__shout"} <= offered(runtime)  # no restart needed
        assert runtime.pipeline.tools.confirm is consent

        tools = await vm.load_tools()
        echo = {t.name: t for t in tools if t.server == "echo"}
        assert set(echo) == {"echo__battery", "echo__shout"}
        assert echo["echo__shout"].description == "Return `text` in capitals."
        assert echo["echo__shout"].permission == "ask"  # the [mcp] default for external tools
        assert any(t.server == "sensors" for t in tools)  # the built-in server, in-process

        assert await vm.set_server_enabled("echo", False)
        assert [r.status for r in vm.servers()] == ["disabled"]
        assert saved_mcp(tandem_home)["servers"][0]["enabled"] is False  # type: ignore[index]
        assert not any(n.startswith("echo__") for n in offered(runtime))
        assert not any(t.server == "echo" for t in vm.tools)  # the listed tools follow
        assert await vm.set_server_enabled("echo", True)
        assert vm.outcome.notice == "server echo: connected"
        assert "echo__shout" in offered(runtime)

        assert await vm.remove_server("echo")
        assert vm.outcome.notice == "server echo removed and disconnected"
        assert saved_mcp(tandem_home)["servers"] == []
        assert not any(n.startswith("echo__") for n in offered(runtime))
        assert runtime.pipeline.tools.confirm is consent


async def test_a_server_that_cannot_connect_is_listed_as_failed(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = McpViewModel(runtime)
        states: list[bool] = []
        vm.on_change = lambda: states.append(vm.busy)
        assert await vm.add_server("gone", "/nonexistent/mcp-server --flag")
        [row] = vm.servers()
        assert row.status.startswith("failed: ") and vm.outcome.notice.startswith(
            "server gone added: failed"
        )
        assert any(states) and not vm.busy  # busy while it connected
        assert "sensors__battery" in offered(runtime)  # the other servers still work
        assert not await vm.set_server_enabled("nothere", True)
        assert vm.outcome.error is not None and "no server named 'nothere'" in vm.outcome.error


async def test_permission_is_saved_and_applies_to_the_running_tool_host(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = McpViewModel(runtime)
        tools = await vm.load_tools()
        tool = next(t for t in tools if t.server == "sensors")
        assert tool.permission == "allow"

        assert vm.set_permission(tool.name, "deny")

        assert saved_mcp(tandem_home)["permissions"] == {tool.name: "deny"}
        host = runtime.pipeline.tools
        assert host is not None and host.permission(tool.name) == "deny"
        assert tool.name not in {t.name for t in host.tools()}  # no longer offered to models
        # Still listed, so it can be allowed again.
        relisted = {t.name: t.permission for t in await vm.load_tools()}
        assert relisted[tool.name] == "deny"
        assert vm.set_permission(tool.name, "ask")
        assert host.permission(tool.name) == "ask"


async def test_bad_servers_are_refused_with_a_clear_error(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = McpViewModel(runtime)
        assert not await vm.add_server("two__underscores", "notes-mcp")
        assert vm.outcome.error is not None and "use letters, digits" in vm.outcome.error
        assert not await vm.add_server("notes", "  ")
        assert vm.outcome.error is not None and "give a URL or a command" in vm.outcome.error
        assert await vm.add_server("notes", "https://example.invalid/mcp", "NOTES_TOKEN")
        assert vm.outcome.notice.endswith("failed: the environment variable NOTES_TOKEN is not set")
        assert not await vm.add_server("notes", "notes-mcp")
        assert vm.outcome.error is not None and "already named 'notes'" in vm.outcome.error
        assert saved_mcp(tandem_home)["servers"] == [
            {"name": "notes", "url": "https://example.invalid/mcp", "token_env": "NOTES_TOKEN"}
        ]


async def test_token_and_claude_desktop_snippet(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = McpViewModel(runtime)
        assert vm.token == load_or_create_token(runtime.paths)
        snippet = json.loads(vm.claude_desktop_snippet())
        args = snippet["mcpServers"]["tandem"]["args"]
        assert args[-4:] == ["mcp", "serve", "--transport", "stdio"]


async def test_tandem_server_starts_serves_with_the_token_and_stops(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = McpViewModel(runtime)
        assert not vm.running and vm.status_text().startswith("Stopped")
        assert not await vm.start("not a port")
        assert vm.outcome.error is not None and "is not a port" in vm.outcome.error

        assert await vm.start("0")
        try:
            assert vm.running
            url = vm.service.url
            assert vm.status_text().endswith(url)
            assert json.loads(vm.http_client_snippet())["mcpServers"]["tandem"]["url"] == url
            async with httpx.AsyncClient() as client:
                refused = await client.post(url, json={})
            assert refused.status_code == 401  # no bearer token, no access
            with socket.socket() as busy:
                busy.bind(("127.0.0.1", 0))
                busy.listen()
                await vm.stop()
                assert not await vm.start(str(busy.getsockname()[1]))
                assert vm.outcome.error is not None and "is not free" in vm.outcome.error
        finally:
            await vm.stop()
        assert not vm.running
