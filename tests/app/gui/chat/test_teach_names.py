"""The detail panel lists the question's names; one click teaches one public or private.

A runtime with the real scanner the settings describe (NER included where
installed), a fake cloud it prefers, and the user's config.toml in TANDEM_HOME.
"""

from collections.abc import AsyncIterator, Sequence

import flet as ft
import pytest

from app.gui.chat.detail.view import TurnDetailPanel
from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from router.types import Message


def _answer(messages: Sequence[Message]) -> str:
    return "the cloud answers"


@pytest.fixture
async def runtime(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    monkeypatch.setenv("TANDEM_ROUTING__POLICY", "prefer_remote")
    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "cloud": FakeEndpoint(_answer, name="cloud", kind="cloud"),
    }
    built = build_runtime(tandem_home, endpoints=endpoints)  # type: ignore[arg-type]
    try:
        yield built
    finally:
        await built.aclose()


def _last_question_sent(runtime: Runtime) -> str:
    cloud = runtime.pipeline.endpoints["cloud"]
    assert isinstance(cloud, FakeEndpoint)
    return cloud.requests[-1][-1].content


async def _ask(vm: ChatViewModel, text: str) -> None:
    await vm.send(text)
    vm.show_detail(len(vm.messages) - 1)


async def test_a_public_name_taught_private_is_never_sent_again(
    runtime: Runtime, tandem_home: TandemPaths
) -> None:
    vm = ChatViewModel(runtime)
    await _ask(vm, "Who is Barack Obama?")
    assert "Barack Obama" in _last_question_sent(runtime)
    [obama] = vm.names.found
    assert (obama.text, obama.action, obama.rule) == ("Barack Obama", "allow", "public-knowledge")

    assert vm.names.teach("Barack Obama", "private")

    assert "taught-private" in tandem_home.config_file.read_text()
    [obama] = vm.names.found  # the panel shows the new decision at once
    assert (obama.action, obama.taught) == ("redact", "private")
    await _ask(vm, "Who is Barack Obama?")
    assert "Barack Obama" not in _last_question_sent(runtime)
    request = runtime.pipeline.endpoints["cloud"].requests[-1]  # type: ignore[attr-defined]
    assert not any("Barack Obama" in m.content for m in request)  # nor in the history


async def test_a_private_name_taught_public_is_sent_in_the_next_conversation(
    runtime: Runtime,
) -> None:
    vm = ChatViewModel(runtime)
    text = "What did my neighbour Tom Hargreaves say?"
    await _ask(vm, text)
    assert "Tom Hargreaves" not in _last_question_sent(runtime)
    tom = next(f for f in vm.names.found if f.text == "Tom Hargreaves")
    assert tom.action == "redact"

    assert vm.names.teach("Tom Hargreaves", "public")
    assert "already masked" in vm.names.notice

    await _ask(vm, text)  # this conversation keeps its placeholder: answers stay consistent
    assert "Tom Hargreaves" not in _last_question_sent(runtime)
    vm.new_conversation()
    await _ask(vm, text)
    assert "Tom Hargreaves" in _last_question_sent(runtime)


async def test_an_identifier_cannot_be_taught_public(
    runtime: Runtime, tandem_home: TandemPaths
) -> None:
    vm = ChatViewModel(runtime)
    await _ask(vm, "Who is Barack Obama?")
    assert not vm.names.teach("tom@example.com", "public")
    assert vm.names.error is not None and "cannot be marked public" in vm.names.error
    assert not tandem_home.config_file.exists() or "taught" not in (
        tandem_home.config_file.read_text()
    )


async def test_the_panel_offers_one_click_per_name_and_shows_the_notice(runtime: Runtime) -> None:
    vm = ChatViewModel(runtime)
    await _ask(vm, "Who is Barack Obama?")
    taught: list[tuple[str, str]] = []
    panel = TurnDetailPanel(on_close=lambda: None, on_teach=lambda n, t: taught.append((n, t)))
    answer = vm.detail
    assert answer is not None
    panel.show(answer.detail, vm.names)
    buttons = [c for c in _walk(panel.body) if isinstance(c, ft.TextButton)]
    assert [b.content for b in buttons] == ["Send it next time", "Never send it"]
    buttons[1].on_click(None)  # type: ignore[misc, arg-type]
    assert taught == [("Barack Obama", "private")]

    vm.names.teach("Barack Obama", "private")
    panel.show(answer.detail, vm.names)
    texts = [c.value for c in _walk(panel.body) if isinstance(c, ft.Text)]
    assert any("Barack Obama will never be sent" in str(t) for t in texts), texts
    never = [c for c in _walk(panel.body) if isinstance(c, ft.TextButton)][1]
    assert never.disabled  # already private


def _walk(control: ft.Control) -> list[ft.Control]:
    """`control` and everything inside it, depth first."""
    children: list[ft.Control] = []
    for attr in ("controls", "content"):
        inner = getattr(control, attr, None)
        if isinstance(inner, list):
            children += inner
        elif isinstance(inner, ft.Control):
            children.append(inner)
    return [control, *(c for child in children for c in _walk(child))]
