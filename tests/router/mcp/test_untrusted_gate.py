"""The host's gate: a side-effecting call that follows untrusted text needs the user's yes."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.mcp.chat_host import build_chat_host
from router.mcp.host import ToolHost, ToolRequest
from router.mcp.settings import McpSettings
from router.privacy.guard import EgressPolicy
from router.types import ToolCall
from tests.router.mcp.servers import files_server, notes_server

WRITE = ToolCall(id="c1", name="files__write", arguments={"path": "notice.txt", "text": "x"})
READ = ToolCall(id="c2", name="files__read", arguments={"path": "report.txt"})
FOLLOWED = "files__read(report.txt)"


async def test_an_allowed_write_after_untrusted_text_is_refused_without_a_dialog() -> None:
    written: list[str] = []
    host = ToolHost()
    host.add_server("files", files_server("hi", written))
    async with host:
        result = await host.call(WRITE, followed=FOLLOWED)
    assert result.is_error
    assert "refused: needs your confirmation because it followed text from " + FOLLOWED in (
        result.content
    )
    assert written == []


async def test_the_dialog_says_why_and_its_answer_decides() -> None:
    written: list[str] = []
    asked: list[ToolRequest] = []
    answers = iter([False, True])

    async def confirm(request: ToolRequest) -> bool:
        asked.append(request)
        return next(answers)

    host = ToolHost(confirm=confirm)
    host.add_server("files", files_server("hi", written))
    async with host:
        refused = await host.call(WRITE, followed=FOLLOWED)
        allowed = await host.call(WRITE, followed=FOLLOWED)
    assert refused.is_error and "did not allow" in refused.content
    assert not allowed.is_error
    assert written == ["notice.txt: x"]
    assert [r.reason for r in asked] == [f"this request followed text from {FOLLOWED}"] * 2


async def test_reading_after_untrusted_text_and_writing_before_it_need_no_dialog() -> None:
    written: list[str] = []
    host = ToolHost()  # no dialog: anything gated would be refused
    host.add_server("files", files_server("hi", written))
    async with host:
        read = await host.call(READ, followed=FOLLOWED)
        write = await host.call(WRITE)
    assert (read.is_error, read.content) == (False, "hi")
    assert not write.is_error and written == ["notice.txt: x"]


async def test_an_ask_tool_after_untrusted_text_carries_the_reason() -> None:
    saved: list[str] = []
    asked: list[ToolRequest] = []

    async def confirm(request: ToolRequest) -> bool:
        asked.append(request)
        return True

    host = ToolHost(confirm=confirm)
    host.add_server("notes", notes_server(saved), permission="ask")
    async with host:
        await host.call(ToolCall(id="c", name="notes__save", arguments={"text": "t"}))
        await host.call(
            ToolCall(id="d", name="notes__save", arguments={"text": "u"}), followed="report.pdf"
        )
    assert [r.reason for r in asked] == [None, "this request followed text from report.pdf"]
    assert saved == ["t", "u"]


async def test_with_the_defences_off_nothing_is_gated() -> None:
    written: list[str] = []
    host = ToolHost(injection_defences=False)
    host.add_server("files", files_server("hi", written))
    async with host:
        result = await host.call(WRITE, followed=FOLLOWED)
    assert not result.is_error and written == ["notice.txt: x"]


@pytest.mark.parametrize(
    "call",
    [
        ToolCall(id="w", name="files__write", arguments={"path": "shared/new.txt", "text": "hi"}),
        ToolCall(
            id="m",
            name="files__move",
            arguments={"source": "shared/old.txt", "destination": "shared/new.txt"},
        ),
    ],
    ids=["write", "move"],
)
async def test_a_builtin_change_after_untrusted_text_asks_once_and_says_why(
    tmp_path: Path, call: ToolCall
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "old.txt").write_text("hi")
    asked: list[ToolRequest] = []

    async def confirm(request: ToolRequest) -> bool:
        asked.append(request)
        return True

    settings = McpSettings(builtin=["files"], roots=[str(shared)], files_write=True)
    host = build_chat_host(settings, EgressPolicy())
    host.confirm = confirm
    async with host:
        result = await host.call(call, followed=FOLLOWED)
    assert not result.is_error, result.content
    assert [r.reason for r in asked] == [f"this request followed text from {FOLLOWED}"]
    assert (shared / "new.txt").read_text() == "hi"


async def test_a_builtin_write_set_to_ask_asks_once(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    asked: list[ToolRequest] = []

    async def confirm(request: ToolRequest) -> bool:
        asked.append(request)
        return True

    settings = McpSettings(
        builtin=["files"], roots=[str(shared)], files_write=True, builtin_permission="ask"
    )
    host = build_chat_host(settings, EgressPolicy())
    host.confirm = confirm
    append = ToolCall(
        id="a", name="files__append", arguments={"path": "shared/log.txt", "text": "one"}
    )
    async with host:
        result = await host.call(append)
    assert not result.is_error, result.content
    assert [r.name for r in asked] == ["files__append"]
    assert (shared / "log.txt").read_text() == "one"


async def test_without_the_gate_a_builtin_write_still_asks_through_its_own_dialog(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    answers = iter([False])
    asked: list[ToolRequest] = []

    async def confirm(request: ToolRequest) -> bool:
        asked.append(request)
        return next(answers)

    settings = McpSettings(builtin=["files"], roots=[str(shared)], files_write=True)
    host = build_chat_host(settings, EgressPolicy())
    host.confirm = confirm
    write = ToolCall(
        id="w", name="files__write", arguments={"path": "shared/notice.txt", "text": "hello"}
    )
    async with host:
        result = await host.call(write)
    assert result.is_error and "not confirmed" in result.content
    assert [(r.name, r.reason) for r in asked] == [("files__write", None)]
    assert not (shared / "notice.txt").exists()
