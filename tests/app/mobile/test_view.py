"""The phone's screen: sending a message shows it, then the answer or the notice in its place."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import flet as ft

from app.mobile.view import PhoneView
from app.mobile.view_model import PhoneViewModel
from router.paths import TandemPaths


def texts(control: ft.Control) -> list[str]:
    """Every text shown inside `control`."""
    found: list[str] = []
    stack: list[Any] = [control]
    while stack:
        item = stack.pop()
        if isinstance(item, ft.Text) and item.value:
            found.append(item.value)
        stack.extend(getattr(item, "controls", None) or [])
        if getattr(item, "content", None) is not None:
            stack.append(item.content)
    return found


async def test_a_message_without_any_endpoint_gets_a_notice_in_the_chat(
    no_model_file: TandemPaths,
) -> None:
    vm = await PhoneViewModel.open(no_model_file)
    updates: list[int] = []
    page = cast(ft.Page, SimpleNamespace(update=lambda: updates.append(1)))
    try:
        view = PhoneView(page, vm)
        status, connect, _, _ = view.controls()
        assert "not paired" in texts(status)[0]
        assert any("there is no on-device model" in t for t in texts(connect))
        view.question.value = "hello"
        await view._on_send()
        shown = [texts(line) for line in view.chat.controls]
        assert shown[0] == ["hello"]
        assert shown[1] == ["Pair with your Tandem or save a cloud key first."]
        assert view.question.value == "" and updates
    finally:
        await vm.aclose()
