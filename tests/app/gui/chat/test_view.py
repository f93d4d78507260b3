import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import cast

import flet as ft
import pytest

from app.gui.chat.section import ChatScreen
from app.gui.chat.view import ChatView
from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.errors import PromptTooLongError
from router.runtime.compose import Runtime
from router.turn.events import ToolCalled, TurnEvent
from router.types import ToolCall, ToolResult, TurnRequest

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]


class RecordingPage:
    """Stands in for a connected `ft.Page`: `render` only ever calls `update()`."""

    def __init__(self) -> None:
        self.updates = 0

    def update(self) -> None:
        self.updates += 1


def bubble_texts(view: ChatView) -> list[str]:
    return [b.body.value for b in view._bubbles]


async def test_the_view_renders_each_streamed_token_and_the_stats(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        page = RecordingPage()
        vm = ChatViewModel(runtime)
        view = ChatView(cast(ft.Page, page), vm)
        seen: list[tuple[str, bool, bool]] = []

        def render_and_record() -> None:
            view.render()
            seen.append(
                (view._bubbles[-1].body.value, view.send_button.disabled, view.stop_button.disabled)
            )

        vm.on_change = render_and_record
        await vm.send("hi there")

        # While streaming: a cursor after the partial answer, Send off and Stop on.
        assert ("echo: hi ▍", True, False) in seen
        assert bubble_texts(view) == ["hi there", "echo: hi there"]
        assert view._bubbles[1].meta.value.startswith("on this device (local)")
        assert "tok/s" in view._bubbles[1].meta.value
        assert view._bubbles[0].row.alignment == ft.MainAxisAlignment.END
        assert not view.send_button.disabled and view.stop_button.disabled
        assert not view.error.visible and view.status.value == "ready"
        assert page.updates == len(seen)


async def test_the_view_shows_errors_and_drops_bubbles_of_a_new_conversation(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ChatViewModel(runtime)
        view = ChatView(cast(ft.Page, RecordingPage()), vm)
        vm.on_change = view.render
        vm.error = str(PromptTooLongError("too long", "shorten it"))
        view.render()
        assert view.error.visible and view.error.value == "too long; shorten it"

        await vm.send("one")
        assert len(view.messages.controls) == 2 and not view.error.visible
        vm.new_conversation()
        assert view.messages.controls == [] and view._bubbles == []


async def test_a_burst_of_changes_becomes_one_update(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        page = RecordingPage()
        view = ChatView(cast(ft.Page, page), ChatViewModel(runtime), frame_s=0)
        for _ in range(50):
            view.request_render()
        # Let the loop run the scheduled flush (a few turns, no wall-clock wait).
        for _ in range(5):
            await asyncio.sleep(0)
        assert page.updates == 1
        view.request_render()
        for _ in range(5):
            await asyncio.sleep(0)
        assert page.updates == 2


async def test_answers_get_a_badge_and_details_and_files_get_chips(
    fake_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ChatViewModel(runtime)
        view = ChatView(cast(ft.Page, RecordingPage()), vm)
        vm.on_change = view.render
        notes = tmp_path / "notes.txt"
        notes.write_text("meeting at noon")
        await vm.attachments.add_file("notes.txt", path=str(notes))
        assert view.pending.visible
        [pending] = view.pending.controls
        assert isinstance(pending, ft.Chip) and pending.label.value == "notes.txt · will be sent"  # type: ignore[union-attr]

        await vm.send("read it")
        assert not view.pending.visible and view.pending.controls == []
        question, answer = view._bubbles
        assert question.chips.visible and not question.badge.visible
        [sent] = question.chips.controls
        assert sent.label.value == "notes.txt · stayed on this device"  # type: ignore[attr-defined]
        assert answer.badge.visible and answer.badge_text.value == "device"
        assert answer.meta.value.endswith("free (on this device)")
        assert answer.details.visible and not question.details.visible

        answer.details.on_click(None)  # type: ignore[misc]
        assert vm.detail is vm.messages[1]


async def test_a_turn_that_ends_between_two_renders_still_lists_its_conversation(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        screen = ChatScreen(cast(ft.Page, RecordingPage()), runtime)
        screen.chat.render()
        assert screen.conversations.items == []
        # A fast answer starts and ends within one coalesced frame: no render sees it busy.
        screen.vm.on_change = lambda: None
        await screen.vm.send("Bake sourdough bread")
        screen.chat.render()
        assert [item.id for item in screen.conversations.items] == [screen.vm.session_id]


async def test_a_tool_call_a_privacy_rule_kept_here_is_shown_under_the_answer(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice = "mail__send was not sent: the call contains a card number, which ..."
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        run_turn = runtime.pipeline.run_turn

        async def with_a_refused_call(request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
            call = ToolCall(id="c", name="mail__send")
            result = ToolResult(call_id="c", content=notice, is_error=True)
            yield ToolCalled(call=call, result=result, notice=notice)
            async for event in run_turn(request):
                yield event

        monkeypatch.setattr(runtime.pipeline, "run_turn", with_a_refused_call)
        vm = ChatViewModel(runtime)
        view = ChatView(cast(ft.Page, RecordingPage()), vm)
        vm.on_change = view.render
        await vm.send("mail my card")
        assert vm.messages[-1].notices == [notice]
        assert view._bubbles[1].notices.visible
        assert view._bubbles[1].notices.value == f"⚠ {notice}"
        assert not view._bubbles[0].notices.visible
