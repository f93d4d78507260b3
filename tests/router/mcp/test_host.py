"""The tool host against real MCP servers: in-process, and a stdio subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import pytest

from router.mcp.build import build_host
from router.mcp.host import ToolHost, ToolRequest
from router.mcp.settings import McpServerSettings, McpSettings
from router.types import ToolCall
from tests.router.mcp.servers import Calls, sensors_server

STDIO_SERVER = Path(__file__).parents[2] / "support" / "mcp_stdio_server.py"


def _call(name: str, **arguments: object) -> ToolCall:
    return ToolCall(id="c1", name=name, arguments=arguments)


async def test_lists_tools_prefixed_by_server_with_their_schemas() -> None:
    async with _host() as host:
        tools = {t.name: t for t in host.tools()}
        assert set(tools) == {"sensors__battery", "sensors__explode", "sensors__slow"}
        assert tools["sensors__battery"].description.startswith("Battery charge")
        schema = tools["sensors__explode"].input_schema
        assert schema["properties"]["reason"]["type"] == "string"
        assert schema["required"] == ["reason"]
        assert host.route("sensors__battery") == ("sensors", "battery")
        assert host.route("battery") is None


async def test_a_call_returns_the_tools_structured_reading_as_text() -> None:
    async with _host() as host:
        result = await host.call(_call("sensors__battery"))
    assert not result.is_error and result.call_id == "c1"
    assert json.loads(result.content) == {"percent": 87.0, "plugged_in": False}


async def test_a_tool_that_raises_gives_an_error_result() -> None:
    async with _host() as host:
        result = await host.call(_call("sensors__explode", reason="x"))
        bad_args = await host.call(_call("sensors__explode", reason=["not", "text"]))
        unknown = await host.call(_call("sensors__nope"))
    assert result.is_error and "explode" in result.content
    assert bad_args.is_error
    assert unknown.is_error and "no tool named sensors__nope" in unknown.content


async def test_a_call_that_takes_too_long_times_out_as_an_error() -> None:
    async with _host(call_timeout_s=0.3) as host:
        started = time.perf_counter()
        result = await host.call(_call("sensors__slow"))
    assert result.is_error and "did not answer within 0.3 s" in result.content
    assert time.perf_counter() - started < 5


async def test_denied_tools_are_hidden_and_refused_without_running() -> None:
    calls = Calls()
    async with _host(calls, permissions={"sensors__battery": "deny"}) as host:
        assert "sensors__battery" not in {t.name for t in host.tools()}
        result = await host.call(_call("sensors__battery"))
    assert result.is_error and "denied" in result.content
    assert calls.count == 0


async def test_ask_without_anyone_to_ask_refuses() -> None:
    calls = Calls()
    async with _host(calls, permission="ask") as host:
        assert "sensors__battery" in {t.name for t in host.tools()}  # offered, but asks
        result = await host.call(_call("sensors__battery"))
    assert result.is_error and "did not allow" in result.content
    assert calls.count == 0


@pytest.mark.parametrize("answer", [False, True])
async def test_ask_runs_only_when_the_user_allows(answer: bool) -> None:
    calls = Calls()
    asked: list[ToolRequest] = []

    async def confirm(request: ToolRequest) -> bool:
        asked.append(request)
        return answer

    async with _host(calls, permission="ask", confirm=confirm) as host:
        result = await host.call(_call("sensors__explode", reason="why"))
    [request] = asked
    assert (request.server, request.tool, dict(request.arguments)) == (
        "sensors",
        "explode",
        {"reason": "why"},
    )
    assert not request.off_device
    assert calls.count == (1 if answer else 0)
    assert ("did not allow" in result.content) is not answer


async def test_a_confirmation_that_never_comes_refuses() -> None:
    async def never(request: ToolRequest) -> bool:
        await asyncio.sleep(60)
        return True

    calls = Calls()
    async with _host(calls, permission="ask", confirm=never, confirm_timeout_s=0.2) as host:
        result = await host.call(_call("sensors__battery"))
    assert result.is_error and calls.count == 0


async def test_the_most_specific_permission_wins() -> None:
    host = ToolHost(permissions={"sensors": "deny", "sensors__battery": "allow"})
    host.add_server("sensors", sensors_server(), permission="ask", tools={"slow": "allow"})
    async with host:
        assert host.permission("sensors__battery") == "allow"  # tool override
        assert host.permission("sensors__slow") == "allow"  # the server's own tool setting
        assert host.permission("sensors__explode") == "deny"  # server override beats its default
        assert host.permission("sensors__unknown") == "deny"


async def test_stdio_server_runs_as_a_subprocess_and_stops_on_close(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    host = ToolHost()
    host.add_stdio(
        "dev",
        sys.executable,
        [str(STDIO_SERVER)],
        env={"TANDEM_TEST_PIDFILE": str(pidfile)},
        permission="allow",
    )
    await host.start()
    try:
        assert {t.name for t in host.tools()} == {"dev__battery", "dev__shout"}
        result = await host.call(_call("dev__shout", text="quiet"))
        assert (result.is_error, result.content) == (False, "QUIET")
        pid = int(pidfile.read_text())
        assert _alive(pid)
    finally:
        await host.aclose()
    for _ in range(50):
        if not _alive(pid):
            break
        await asyncio.sleep(0.1)
    assert not _alive(pid)
    assert host.tools() == ()


async def test_a_server_that_cannot_start_costs_only_its_own_tools() -> None:
    host = ToolHost(connect_timeout_s=10)
    host.add_stdio("ghost", "/nonexistent/mcp-server")
    host.add_server("sensors", sensors_server())
    async with host:
        assert {t.name.split("__")[0] for t in host.tools()} == {"sensors"}
        assert "ghost" in host.errors
        result = await host.call(_call("ghost__anything"))
    assert result.is_error


async def test_build_host_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = McpSettings(
        builtin=["sensors", "camera"],
        servers=[
            McpServerSettings(name="remote", url="http://127.0.0.1:9/mcp", token_env="NO_SUCH_VAR"),
            McpServerSettings(name="off", command="x", enabled=False),
        ],
        permissions={"sensors__slow": "deny"},
    )
    host = build_host(settings, {"sensors": sensors_server()}, environ={})
    async with host:
        assert {t.name for t in host.tools()} == {"sensors__battery", "sensors__explode"}
        assert host.permission("sensors__battery") == "allow"  # built-ins default to allow
    assert set(host.errors) == {"camera", "remote"}
    assert "NO_SUCH_VAR" in host.errors["remote"]


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "a__b", "command": "x"},
        {"name": "ok", "command": "x", "url": "http://h"},
        {"name": "ok"},
        {"name": "has space", "command": "x"},
    ],
)
def test_server_settings_reject_ambiguous_entries(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        McpServerSettings(**bad)  # type: ignore[arg-type]


def _host(calls: Calls | None = None, *, permission: str = "allow", **kw: object) -> ToolHost:
    host = ToolHost(**kw)  # type: ignore[arg-type]
    host.add_server("sensors", sensors_server(calls), permission=permission)  # type: ignore[arg-type]
    return host


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); its state says it has exited
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
