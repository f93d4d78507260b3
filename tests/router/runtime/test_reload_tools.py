"""Reloading the chat's MCP servers in a running runtime: offered from the next turn."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from router.endpoints.fake import FakeEndpoint
from router.errors import ConfigError, TandemError
from router.mcp.host import ToolRequest
from router.mcp.settings import McpServerSettings, McpSettings
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from router.settings.config import load_settings
from router.turn.events import TurnFinished
from router.types import TurnRequest
from tests.support.pipeline import collect, finished
from tests.support.tool_endpoint import ToolEndpoint

STDIO_SERVER = Path(__file__).parents[2] / "support" / "mcp_stdio_server.py"
BASE = McpSettings(builtin=["sensors"], offer="all")


def echo(
    name: str = "echo", command: str = sys.executable, pidfile: Path | None = None
) -> McpServerSettings:
    """The in-repo stdio test server (`battery`, `shout`); it writes its pid to `pidfile`."""
    env = {"TANDEM_TEST_PIDFILE": str(pidfile)} if pidfile else {}
    return McpServerSettings(name=name, command=command, args=[str(STDIO_SERVER)], env=env)


def with_servers(*servers: McpServerSettings) -> McpSettings:
    return BASE.model_copy(update={"servers": list(servers)})


class Consent:
    """A stand-in for the GUI's consent dialog: says yes and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[ToolRequest] = []

    async def __call__(self, request: ToolRequest) -> bool:
        self.asked.append(request)
        return True


@pytest.fixture
async def runtime(tandem_home: TandemPaths) -> AsyncIterator[Runtime]:
    settings = load_settings(tandem_home).model_copy(update={"mcp": BASE})
    local = ToolEndpoint("echo__shout", arguments={"text": "hi"}, name="local", kind="local")
    built = build_runtime(tandem_home, settings, endpoints={"local": local})
    yield built
    await built.aclose()


async def turn(runtime: Runtime) -> tuple[set[str], str]:
    """Run one turn; return the tool names offered on its first round, and the answer."""
    local = runtime.local
    assert isinstance(local, ToolEndpoint)
    local.offered.clear()
    events = await collect(runtime.pipeline, "shout hi please", session_id=uuid.uuid4().hex)
    return {t.name for t in local.offered[0]}, finished(events).turn.answer


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_an_added_server_is_offered_next_turn_and_a_removed_one_is_gone(
    runtime: Runtime, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pid"
    consent = Consent()
    first = runtime.pipeline.tools
    assert first is not None
    first.confirm = consent  # what the GUI's AppMcpService does
    offered, _ = await turn(runtime)
    assert "sensors__battery" in offered and not any(n.startswith("echo__") for n in offered)

    await runtime.reload_tools(with_servers(echo(pidfile=pidfile)))

    host = runtime.pipeline.tools
    assert host is not None and host is not first and host.started
    assert host.confirm is consent  # the consent dialog survives the reload
    assert runtime.settings.mcp.servers[0].name == "echo"
    offered, answer = await turn(runtime)
    assert {"echo__shout", "echo__battery", "sensors__battery"} <= offered
    assert "HI" in answer  # the new server's tool ran ...
    [asked] = consent.asked  # ... after the user was asked (external tools default to `ask`)
    assert (asked.server, asked.tool, dict(asked.arguments)) == ("echo", "shout", {"text": "hi"})
    pid = int(pidfile.read_text())

    await runtime.reload_tools(load_settings(runtime.paths).model_copy(update={"mcp": BASE}))

    offered, answer = await turn(runtime)
    assert "sensors__battery" in offered and not any(n.startswith("echo__") for n in offered)
    assert "HI" not in answer
    for _ in range(100):  # the old host stopped the server's process; give the OS a moment
        if not process_alive(pid):
            break
        await asyncio.sleep(0.05)
    assert not process_alive(pid)


async def test_a_server_that_fails_to_connect_is_reported_and_the_rest_work(
    runtime: Runtime,
) -> None:
    await runtime.reload_tools(with_servers(echo("broken", "/nonexistent/mcp-server"), echo()))
    host = runtime.pipeline.tools
    assert host is not None and "broken" in host.errors and "echo" not in host.errors
    offered, _ = await turn(runtime)
    assert "echo__shout" in offered and not any(n.startswith("broken__") for n in offered)


async def test_a_host_that_cannot_be_built_leaves_everything_as_it_was(runtime: Runtime) -> None:
    before, settings = runtime.pipeline.tools, runtime.settings
    # A server named like a built-in one cannot join the same host.
    with pytest.raises(ConfigError, match="could not be set up"):
        await runtime.reload_tools(with_servers(echo("sensors")))
    assert runtime.pipeline.tools is before and runtime.settings is settings
    offered, _ = await turn(runtime)
    assert "sensors__battery" in offered


async def test_turning_mcp_off_and_on_keeps_the_consent_callback(runtime: Runtime) -> None:
    consent = Consent()
    assert runtime.pipeline.tools is not None
    runtime.pipeline.tools.confirm = consent

    await runtime.reload_tools(BASE.model_copy(update={"enabled": False}))
    assert runtime.pipeline.tools is None
    _, answer = await turn(runtime)  # no tools offered, the turn still answers
    assert answer.startswith("echo:")

    await runtime.reload_tools(BASE.model_copy(update={"max_tool_rounds": 2, "offer": "relevant"}))
    host = runtime.pipeline.tools
    assert host is not None and host.confirm is consent
    assert (runtime.pipeline.max_tool_rounds, runtime.pipeline.offer_all_tools) == (2, False)


async def test_a_reload_waits_for_the_reply_being_written(tandem_home: TandemPaths) -> None:
    slow = FakeEndpoint(name="local", kind="local", delay_s=0.05)
    settings = load_settings(tandem_home).model_copy(update={"mcp": BASE})
    runtime = build_runtime(tandem_home, settings, endpoints={"local": slow})
    try:
        first = runtime.pipeline.tools
        events = runtime.pipeline.run_turn(TurnRequest(text="a b c d e f", session_id="s"))
        await anext(events)  # in flight

        with pytest.raises(TandemError, match="while a reply is being written"):
            await runtime.reload_tools(with_servers(echo()), wait_s=0.1)
        assert runtime.pipeline.tools is first and not runtime.settings.mcp.servers

        reload = asyncio.create_task(runtime.reload_tools(with_servers(echo())))
        rest = [e async for e in events]
        assert isinstance(rest[-1], TurnFinished) and rest[-1].turn.status == "complete"
        assert runtime.pipeline.tools is first  # not swapped under the streaming reply
        await reload
        assert runtime.pipeline.tools is not first
    finally:
        await runtime.aclose()
