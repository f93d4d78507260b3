"""The Flet shell: rail or bar by width, sections built once, placeholders, theme, Esc."""

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import flet as ft

from app.gui.shell.view import Shell, load_builder
from app.gui.shell.view_model import SECTIONS, Section, ShellViewModel
from app.lan.devices import PairedDevice
from app.lan.reach import serving_device
from router.endpoints.fake import FakeEndpoint
from router.runtime.compose import Runtime
from router.types import Message

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]


class FakePage:
    """The parts of `ft.Page` the shell touches; background tasks are only recorded."""

    def __init__(self, width: float) -> None:
        self.width = width
        self.web = True
        self.controls: list[ft.Control] = []
        self.tasks: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.updates = 0
        self.navigation_bar: ft.NavigationBar | None = None
        self.appbar: ft.AppBar | None = None
        self.theme_mode: ft.ThemeMode | None = None

    def add(self, *controls: ft.Control) -> None:
        self.controls.extend(controls)

    def update(self) -> None:
        self.updates += 1

    def run_task(self, task: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.tasks.append(task)


def build_broken_view(page: ft.Page, runtime: Runtime) -> ft.Control:
    raise RuntimeError("the view fell over")


def mounted(runtime: Runtime, width: float, sections: Sequence[Section] = SECTIONS) -> Shell:
    page = FakePage(width)
    shell = Shell(cast(ft.Page, page), runtime, ShellViewModel(tuple(sections)))
    shell.mount()
    return shell


def destinations(shell: Shell) -> tuple[list[object], list[object]]:
    """The labels of the rail's and the bar's destinations."""
    rail: list[object] = [d.label for d in shell.rail.destinations or []]
    bar: list[object] = [d.label for d in shell.bar.destinations or []]
    return rail, bar


def long_answer(messages: Sequence[Message]) -> str:
    return " ".join(f"word{i}" for i in range(200))


async def test_wide_pages_get_a_rail_and_narrow_ones_a_bar(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        shell = mounted(runtime, 1280)
        page = cast(FakePage, shell.page)
        assert page.controls == [shell.root] and shell.rail.visible
        assert page.navigation_bar is None and page.appbar is None
        assert shell.content.content is shell.chat.root
        assert shell.chat.list_panel.root.visible  # the conversation list sits beside the chat
        # The chat loads the model and the privacy detectors in the background.
        assert len(page.tasks) == 2

        page.on_resize(SimpleNamespace(width=400, height=800))  # type: ignore[attr-defined]
        assert not shell.rail.visible and page.navigation_bar is shell.bar
        assert page.appbar is shell.appbar
        assert shell.chat.compact and not shell.chat.list_panel.root.visible
        assert not shell.chat.chat.shortcuts.visible  # no room (and no Esc key) on a phone
        shell.chat.chat.render()
        # One button where two were: Send while idle (Stop shows while answering).
        assert shell.chat.chat.send_button.visible and not shell.chat.chat.stop_button.visible
        shell.chat.list_button.on_click(None)  # type: ignore[misc]  # open the list
        assert shell.chat.list_panel.root.visible and not shell.chat.chat.root.visible
        assert shell.chat.back_button.visible
        shell.chat.back_button.on_click(None)  # type: ignore[misc]
        assert not shell.chat.list_panel.root.visible and shell.chat.chat.root.visible

        page.on_resize(SimpleNamespace(width=1000, height=800))  # type: ignore[attr-defined]
        assert shell.rail.visible and page.navigation_bar is None


async def test_sections_are_built_once_and_failures_become_placeholders(
    fake_runtime: RuntimeFactory,
) -> None:
    sections = (
        SECTIONS[0],
        Section("missing", "Missing", "HUB", "HUB", "app.gui.no_such_view"),
        Section("broken", "Broken", "HUB", "HUB", "tests.app.gui.shell.test_view"),
    )
    assert load_builder(sections[1]) == "The Missing section is not part of this build yet."
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        shell = mounted(runtime, 1280, sections)
        shell.vm.select(1)
        missing = shell.content.content
        assert isinstance(missing, ft.Column)
        assert missing.controls[1].value == "The Missing section is not part of this build yet."  # type: ignore[attr-defined]

        shell.vm.select(2)  # its module's build_broken_view raises
        broken = shell.content.content
        assert isinstance(broken, ft.Column)
        text = broken.controls[1].value  # type: ignore[attr-defined]
        assert text == "This section failed to open: RuntimeError: the view fell over"

        shell.vm.select(0)
        assert shell.content.content is shell.chat.root
        shell.vm.select(1)
        assert shell.content.content is missing  # kept, not rebuilt
        assert shell.rail.selected_index == shell.bar.selected_index == 1


async def test_the_theme_toggle_switches_the_page_and_relabels_itself(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        shell = mounted(runtime, 1280)
        page = cast(FakePage, shell.page)
        assert page.theme_mode == ft.ThemeMode.LIGHT
        button = shell.rail.trailing
        assert isinstance(button, ft.IconButton) and button.tooltip == "Dark theme"
        shell.vm.toggle_theme()
        assert page.theme_mode == ft.ThemeMode.DARK
        assert button.tooltip == "Light theme"
        icon = button.icon
        assert isinstance(icon, ft.Icon) and icon.icon == ft.Icons.LIGHT_MODE
        assert icon.semantics_label == "Light theme"


async def test_escape_stops_the_answer_being_streamed(fake_runtime: RuntimeFactory) -> None:
    endpoint = FakeEndpoint(long_answer, name="local", kind="local", delay_s=0.001)
    async with fake_runtime(endpoint) as runtime:
        shell = mounted(runtime, 1280)
        vm = shell.chat.vm
        first_token = asyncio.Event()

        def on_change() -> None:
            if vm.busy and vm.messages[-1].text:
                first_token.set()

        vm.on_change = on_change
        sending = asyncio.create_task(vm.send("tell me a long story"))
        await first_token.wait()
        shell.page.on_keyboard_event(  # type: ignore[misc]
            ft.KeyboardEvent(
                name="keyboard_event",
                control=shell.page,  # type: ignore[arg-type]
                key="Escape",
                shift=False,
                ctrl=False,
                alt=False,
                meta=False,
            )
        )
        await sending
        assert vm.messages[-1].status == "cancelled"


async def test_a_paired_phone_s_page_has_no_phones_destination(
    fake_runtime: RuntimeFactory,
) -> None:
    phone = PairedDevice("d1", "Pixel 7", datetime.now(UTC), None, revoked=False)
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        with serving_device(phone):  # what LanGuard sets around a paired phone's page
            on_phone = Shell(cast(ft.Page, FakePage(400)), runtime)
        own = Shell(cast(ft.Page, FakePage(400)), runtime)

    rail, bar = destinations(on_phone)
    assert rail == bar and "Phones" not in rail and rail[0] == "Chat"
    own_rail, own_bar = destinations(own)
    assert own_rail == own_bar == [s.label for s in SECTIONS] and "Phones" in own_rail
