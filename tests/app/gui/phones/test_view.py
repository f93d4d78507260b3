"""The Phones section's controls: QR image, red error, revoke dialog, release on page close."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from types import SimpleNamespace
from typing import Any, cast

import flet as ft
import pytest

from app.gui.phones import view as phones_view
from app.gui.phones.view import FINGERPRINT_HINT, PhonesView, build_phones_view
from app.gui.phones.view_model import PhonesViewModel
from tests.app.gui.phones.fake_lan import FINGERPRINT, NOW, PORT_TAKEN, URL, FakeLanService


class FakePage:
    """The parts of `ft.Page` the section touches: tasks and dialogs are recorded."""

    def __init__(self) -> None:
        self.tasks: list[Coroutine[Any, Any, None]] = []
        self.dialogs: list[ft.AlertDialog] = []
        self.on_close: Callable[[Any], Any] | None = None
        self.on_disconnect: Callable[[Any], Any] | None = None

    def run_task(self, task: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.tasks.append(task())

    def show_dialog(self, dialog: ft.AlertDialog) -> None:
        dialog.open = True
        self.dialogs.append(dialog)

    async def drain(self) -> None:
        while self.tasks:
            await self.tasks.pop(0)


def walk(control: ft.Control) -> Iterator[ft.Control]:
    """`control` and every visible control under it, depth first."""
    if not getattr(control, "visible", True):
        return
    yield control
    for attr in ("controls", "content"):
        child = getattr(control, attr, None)
        for c in child if isinstance(child, list) else [child] if child else []:
            if isinstance(c, ft.Control):
                yield from walk(c)


def texts(control: ft.Control) -> list[str]:
    """Every visible text under `control`, depth first."""
    return [c.value for c in walk(control) if isinstance(c, ft.Text) and c.value]


def shown(service: FakeLanService) -> tuple[PhonesView, FakePage]:
    page = FakePage()
    vm = PhonesViewModel(service, now=lambda: NOW)
    view = PhonesView(cast(ft.Page, page), vm)
    vm.on_change = view.render
    vm.open()
    return view, page


async def test_serving_shows_the_qr_image_code_address_and_fingerprint() -> None:
    service = FakeLanService()
    view, _ = shown(service)
    assert not view.pairing.visible and not view.switch.value

    view.switch.value = True
    await view._toggle(cast(Any, SimpleNamespace(control=view.switch)))

    assert view.switch.value and view.pairing.visible
    assert view.qr.visible and view.qr.src == service.qr_png()
    assert view.code.value is not None and view.code.value.startswith("CODE-0001 · expires at")
    assert (view.url.value, view.fingerprint.value) == (URL, FINGERPRINT)
    assert FINGERPRINT_HINT in texts(view.root)


async def test_a_failure_is_one_red_sentence_and_the_switch_goes_back_off() -> None:
    service = FakeLanService()
    service.start_error = PORT_TAKEN
    view, _ = shown(service)

    await view._toggle(cast(Any, SimpleNamespace(control=SimpleNamespace(value=True))))

    assert view.error.visible and view.error.value == service.start_error
    assert view.error.color == ft.Colors.RED_900
    assert not view.switch.value and not view.pairing.visible


async def test_revoke_asks_in_a_dialog_then_greys_the_device_out() -> None:
    service = FakeLanService()
    service.pair("Pixel 7")
    view, page = shown(service)
    row = cast(ft.Row, view.device_list.controls[0])
    revoke = cast(ft.TextButton, row.controls[-1])
    assert "Pixel 7" in texts(row) and revoke.visible

    cast(Any, revoke.on_click)(None)
    [dialog] = page.dialogs
    assert dialog.open and texts(cast(ft.Control, dialog.title)) == ["Revoke Pixel 7?"]
    confirm = cast(ft.FilledButton, (dialog.actions or [])[-1])
    cast(Any, confirm.on_click)(None)

    assert service.paired.revoked_ids == ["dev1"] and not dialog.open
    row = cast(ft.Row, view.device_list.controls[0])
    assert row.opacity == 0.5 and not row.controls[-1].visible
    assert any("revoked" in t for t in texts(row))


async def test_the_section_stops_following_the_service_when_the_page_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = FakeLanService()
    monkeypatch.setattr(phones_view, "lan_service_for", lambda runtime: service)
    page = FakePage()
    earlier: list[object] = []
    page.on_close = earlier.append  # the shell's own handler stays in place

    root = build_phones_view(cast(ft.Page, page), cast(Any, SimpleNamespace()))
    await page.drain()
    assert len(service.listeners) == 1
    service.pair("Pixel 7")  # a phone pairs: the list follows, on the page's loop
    await page.drain()
    assert "Pixel 7" in texts(root)

    assert page.on_close is not None
    await page.on_close("closed")

    assert service.listeners == [] and earlier == ["closed"]
