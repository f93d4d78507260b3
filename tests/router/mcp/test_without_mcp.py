"""The router runs turns without the MCP SDK (the phone app does not install it, issue 20).

Each test runs in a fresh interpreter whose imports of `mcp` and `mcp_types` fail
(tests/support/blocked.py), with the heavy packages blocked too. MCP tools are a
feature that is off without the SDK, said once, not a crash at import.
"""

from __future__ import annotations

from tests.support.blocked import HEAVY, last_json, run_blocked

WITHOUT_MCP = (*HEAVY, "mcp", "mcp_types")

SETUP = """
import asyncio, json, tempfile
from router.endpoints.function import FunctionEndpoint
from router.optional import notices
from router.paths import resolve_paths
from router.runtime.compose import build_runtime
from router.settings.config import load_settings
from router.turn.events import TurnFinished
from router.types import TurnRequest
from tests.support.blocked import loaded_heavy

home = resolve_paths(tempfile.mkdtemp()).ensure()
settings = load_settings(home)
settings = settings.model_copy(update={
    "memory": settings.memory.model_copy(update={"enabled": False}),
    "mcp": settings.mcp.model_copy(update={"enabled": True}),
})
model = FunctionEndpoint(lambda call: "hello back", name="local", kind="local")
runtime = build_runtime(home, settings, endpoints={"local": model})
"""


def test_with_mcp_on_but_not_installed_turns_run_without_tools_and_it_says_so() -> None:
    done = run_blocked(
        SETUP
        + """
async def turn():
    async for event in runtime.pipeline.run_turn(TurnRequest(text="hello", session_id="s")):
        if isinstance(event, TurnFinished):
            return event.turn.answer

answer = asyncio.run(turn())
asyncio.run(runtime.aclose())
print(json.dumps({
    "answer": answer,
    "tools": runtime.pipeline.tools is None,
    "notice": notices().get("mcp", ""),
    "loaded": loaded_heavy(["mcp", "mcp_types"]),
}))
""",
        blocked=WITHOUT_MCP,
    )
    report = last_json(done)
    assert report["answer"] == "hello back"
    assert report["tools"] is True
    assert report["notice"].startswith("mcp is not installed, so the chat has no MCP tools")
    assert report["loaded"] == []


def test_reloading_the_tools_without_mcp_says_what_to_install_and_changes_nothing() -> None:
    done = run_blocked(
        SETUP
        + """
from router.errors import ConfigError

async def reload():
    try:
        await runtime.reload_tools(settings)
    except ConfigError as exc:
        return exc.message + " | " + exc.hint
    finally:
        await runtime.aclose()

print(json.dumps({"error": asyncio.run(reload()), "tools": runtime.pipeline.tools is None}))
""",
        blocked=WITHOUT_MCP,
    )
    report = last_json(done)
    assert report["error"].startswith("mcp is not installed, so the chat has no MCP tools")
    assert "pip install" in report["error"]
    assert report["tools"] is True
