"""The thumbs and the re-answer button under each answer, as the Flet chat view shows them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import flet as ft

from app.gui.chat.bubble import Bubble
from app.gui.chat.view import ChatView
from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from tests.app.conftest import RuntimeFactory
from tests.support.tiers import ASKED, open_two_tiers

NO_CLOUD = "No off-device endpoint is configured; add one in the settings to ask the cloud."


class RecordingPage:
    """Stands in for a connected `ft.Page`: counts updates, keeps the snack bars shown."""

    def __init__(self) -> None:
        self.updates = 0
        self.dialogs: list[ft.DialogControl] = []

    def update(self) -> None:
        self.updates += 1

    def show_dialog(self, dialog: ft.DialogControl) -> None:
        self.dialogs.append(dialog)


def label(button: ft.IconButton) -> str:
    """What a screen reader (and a browser test) calls the icon button."""
    icon = cast(ft.Icon, button.icon)
    return str(icon.semantics_label)


async def click(button: ft.Control) -> None:
    await cast(Any, button).on_click()


def chat(runtime: Any) -> tuple[ChatView, ChatViewModel, RecordingPage]:
    page = RecordingPage()
    vm = ChatViewModel(runtime)
    view = ChatView(cast(ft.Page, page), vm)
    vm.on_change = view.render
    return view, vm, page


@asynccontextmanager
async def local_chat(
    fake_runtime: RuntimeFactory, question: str
) -> AsyncIterator[tuple[ChatView, ChatViewModel, RecordingPage]]:
    """`chat` over a fake on-device model only, once `question` has been answered."""
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        view, vm, page = chat(runtime)
        await vm.send(question)
        yield view, vm, page


def feedback_shown(bubble: Bubble) -> tuple[bool, str, str, str | None]:
    reanswer = bubble.reanswer.content if bubble.reanswer.visible else None
    return bubble.feedback.visible, label(bubble.good), label(bubble.bad), cast(Any, reanswer)


async def test_an_answer_shows_thumbs_and_the_other_tier_a_question_shows_none(
    fake_runtime: RuntimeFactory,
) -> None:
    async with local_chat(fake_runtime, "hello") as (view, _, _):
        question, answer = view._bubbles
        assert not question.feedback.visible
        assert feedback_shown(answer) == (True, "Good answer", "Bad answer", "Ask the cloud")
        assert not answer.heading.visible


async def test_a_thumb_shows_its_rating_and_pressing_it_again_takes_it_back(
    fake_runtime: RuntimeFactory,
) -> None:
    async with local_chat(fake_runtime, "hello") as (view, vm, _):
        answer = view._bubbles[1]

        await click(answer.good)
        assert vm.messages[1].rating is True
        assert label(answer.good) == "Rated good: press to take it back"
        assert cast(ft.Icon, answer.good.icon).icon == ft.Icons.THUMB_UP
        await click(answer.bad)
        assert label(answer.good) == "Good answer"
        assert label(answer.bad) == "Rated bad: press to take it back"
        await click(answer.bad)
        assert vm.messages[1].rating is None and label(answer.bad) == "Bad answer"


async def test_a_refused_re_answer_says_why_in_a_snack_bar(fake_runtime: RuntimeFactory) -> None:
    async with local_chat(fake_runtime, "hello") as (view, _, page):
        await click(view._bubbles[1].reanswer)
        [shown] = page.dialogs
        assert isinstance(shown, ft.SnackBar)
        assert cast(ft.Text, shown.content).value == NO_CLOUD
        assert len(view._bubbles) == 2


async def test_ask_the_cloud_streams_a_headed_answer_that_can_be_rated(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with open_two_tiers(tandem_home, tmp_path) as (runtime, _):
        view, vm, page = chat(runtime)
        await vm.send(ASKED)
        await click(view._bubbles[1].reanswer)
        assert page.dialogs == []
        first, again = view._bubbles[1:]
        assert again.heading.visible
        assert again.heading.value == "The cloud's answer to the same question"
        assert again.badge_text.value == "cloud"
        # The pair is shown: neither offers a third answer; both can be rated.
        assert feedback_shown(first) == (True, "Good answer", "Bad answer", None)
        assert feedback_shown(again) == (True, "Good answer", "Bad answer", None)
        await click(again.good)
        assert vm.messages[2].rating is True


async def test_while_an_answer_streams_the_re_answer_button_is_off(
    fake_runtime: RuntimeFactory,
) -> None:
    async with local_chat(fake_runtime, "one") as (view, vm, _):
        seen: list[bool | None] = []

        def render_and_record() -> None:
            view.render()
            seen.append(view._bubbles[1].reanswer.disabled)

        vm.on_change = render_and_record
        await vm.send("two")
        assert any(disabled is True for disabled in seen)  # off while it streamed
        assert seen[-1] is False  # back on once it finished
