"""The MCP view-model: Tandem's server, external servers, their tools and permissions."""

from __future__ import annotations

import json
import socket
import sys
import tomllib
from pathlib import Path

import httpx

from app.gui.mcp_vm import McpViewModel
from mcp_servers.http_serve import load_or_create_token
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from tests.app.conftest import RuntimeFactory

STDIO_SERVER = Path(__file__).parents[1] / "support" / "mcp_stdio_server.py"


def local_fake() -> FakeEndpoint:
    return FakeEndpoint(name="local", kind="local")


def saved_mcp(home: TandemPaths) -> dict[str, object]:
    data = tomllib.loads(home.config_file.read_text("utf-8"))
    mcp: dict[str, object] = data["mcp"]
    return mcp


async def test_external_server_is_saved_and_its_tools_listed_before_a_restart(
    tandem_home: TandemPaths, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = McpViewModel(runtime)
        assert vm.add_server("echo", f"{sys.executable} {STDIO_SERVER}")

        assert saved_mcp(tandem_home)["servers"] == [
            {"name": "echo", "command": sys.executable, "args": [str(STDIO_SERVER)]}
        ]
        [row] = vm.servers()
        assert (row.name, row.enabled) == ("echo", True)
        assert row.transport == f"stdio {sys.executable} {STDIO_SERVER}"

        tools = await vm.load_tools()
        echo = {t.name: t for t in tools if t.server == "echo"}
        assert set(echo) == {"echo__battery", "echo__shout"}
        assert echo["echo__shout"].description == "Return `text` in capitals."
        assert echo["echo__shout"].permission == "ask"  # the [mcp] default for external tools
        assert any(t.server == "sensors" for t in tools)  # the built-in server, in-process

        assert vm.remove_server("echo")
        assert saved_mcp(tandem_home)["servers"] == []


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
        assert not vm.add_server("two__underscores", "notes-mcp")
        assert vm.error is not None and "use letters, digits" in vm.error
        assert not vm.add_server("notes", "  ")
        assert vm.error is not None and "give a URL or a command" in vm.error
        assert vm.add_server("notes", "https://example.invalid/mcp", "NOTES_TOKEN")
        assert not vm.add_server("notes", "notes-mcp")
        assert vm.error is not None and "already named 'notes'" in vm.error
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
        assert vm.error is not None and "is not a port" in vm.error

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
                assert vm.error is not None and "is not free" in vm.error
        finally:
            await vm.stop()
        assert not vm.running
