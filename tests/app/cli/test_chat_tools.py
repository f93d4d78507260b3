"""The terminal chat says why a tool call was refused: no dialog there to ask the user."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from app.cli.chat import answer
from router.mcp.host import ToolHost
from router.privacy.detectors.base import FunctionDetector
from router.privacy.scan import Scanner
from router.types import ToolCall, TurnRequest
from tests.router.mcp.servers import files_server
from tests.router.turn.test_untrusted_text import ATTACK, READ, WRITE, scripted
from tests.support.pipeline import make_pipeline


async def test_a_call_refused_after_untrusted_text_is_shown_with_its_reason(
    tmp_path: Path,
) -> None:
    written: list[str] = []
    host = ToolHost()  # the CLI's: no confirmation dialog
    host.add_server("files", files_server(ATTACK, written))
    pipeline = make_pipeline(
        tmp_path,
        endpoints={"local": scripted(READ, WRITE)},
        offer_all_tools=True,
        scanner=Scanner(detectors=[FunctionDetector(lambda text: [])]),
        tools=host,
    )
    out, info = io.StringIO(), io.StringIO()
    async with host:
        request = TurnRequest(text="summarise report.txt", session_id="s")
        await answer(SimpleNamespace(pipeline=pipeline), request, out, info)  # type: ignore[arg-type]
    lines = info.getvalue().splitlines()
    assert "[tool files__read: done]" in lines
    assert (
        "[tool files__write: refused: needs your confirmation because it followed text from "
        "files__read(report.txt); it runs only where the app can ask the user]"
    ) in lines
    assert written == []


async def test_a_failed_call_is_shown_with_a_short_reason(tmp_path: Path) -> None:
    call = ToolCall(id="x", name="files__nope", arguments={})
    host = ToolHost()
    pipeline = make_pipeline(
        tmp_path, endpoints={"local": scripted(call)}, offer_all_tools=True, tools=host
    )
    host.add_server("files", files_server("", []))
    info = io.StringIO()
    async with host:
        request = TurnRequest(text="go", session_id="s")
        await answer(SimpleNamespace(pipeline=pipeline), request, io.StringIO(), info)  # type: ignore[arg-type]
    assert "[tool files__nope: there is no tool named files__nope]" in info.getvalue()
