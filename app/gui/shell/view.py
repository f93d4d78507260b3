"""The app's frame: navigation between the sections, layout for the window's width, theme.

A navigation rail on the left on wide windows, a navigation bar at the bottom
on narrow ones (switched as the page is resized); a light and a dark theme with
a toggle. Each section is built the first time it is opened and then kept, so
its state survives switching back and forth.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

import flet as ft

from app.gui.chat.section import ChatScreen
from app.gui.shell.view_model import Section, ShellViewModel, sections_for
from app.gui.team.view import build_team_view
from app.gui.team.view_model import TeamConfig
from app.gui.widgets.labelled import icon_button, set_icon
from app.lan.reach import lan_device
from router import Runtime

_log = logging.getLogger(__name__)
SectionBuilder = Callable[[ft.Page, Runtime], ft.Control]


def placeholder(section: Section, why: str) -> ft.Control:
    """What a section that cannot be shown displays instead: its name and why."""
    return ft.Column(
        [
            ft.Text(section.label, size=20, weight=ft.FontWeight.BOLD),
            ft.Text(why, color=ft.Colors.ON_SURFACE_VARIANT),
        ],
        expand=True,
    )


def load_builder(section: Section) -> SectionBuilder | str:
    """The section's `build_<key>_view` function, or why it cannot be loaded."""
    try:
        module = importlib.import_module(section.module)
    except ModuleNotFoundError as exc:
        if exc.name != section.module:
            raise  # a missing dependency of an existing view is a real bug
        return f"The {section.label} section is not part of this build yet."
    builder = getattr(module, section.builder, None)
    if builder is None:
        return f"{section.module} has no {section.builder}(page, runtime) function."
    return builder  # type: ignore[no-any-return]


class Shell:
    """The frame of one page: rail or bar, the current section, the theme toggle."""

    def __init__(self, page: ft.Page, runtime: Runtime, vm: ShellViewModel | None = None) -> None:
        self.page = page
        self.runtime = runtime
        self.vm = vm or ShellViewModel(sections_for(paired_phone=lan_device() is not None))
        # One team setup per page: the Team section edits it, the chat's Team switch uses it.
        self.team_config = TeamConfig()
        self.chat = ChatScreen(page, runtime, team_config=self.team_config)
        self._built: dict[str, ft.Control] = {"chat": self.chat.root}
        destinations = [
            (s.label, getattr(ft.Icons, s.icon), getattr(ft.Icons, s.selected_icon))
            for s in self.vm.sections
        ]
        self.rail = ft.NavigationRail(
            destinations=[
                ft.NavigationRailDestination(icon=i, selected_icon=si, label=label)
                for label, i, si in destinations
            ],
            selected_index=0,
            label_type=ft.NavigationRailLabelType.ALL,
            min_width=88,
            leading=ft.Text("Tandem", weight=ft.FontWeight.BOLD, size=16),
            trailing=self._theme_button(),
            on_change=lambda e: self.vm.select(int(e.control.selected_index or 0)),
        )
        self.bar = ft.NavigationBar(
            destinations=[
                ft.NavigationBarDestination(icon=i, selected_icon=si, label=label)
                for label, i, si in destinations
            ],
            on_change=lambda e: self.vm.select(int(e.control.selected_index)),
        )
        self.appbar = ft.AppBar(title=ft.Text("Tandem"), actions=[self._theme_button()])
        self.content = ft.Container(expand=True, padding=ft.Padding.only(left=8))
        self.rail_divider = ft.VerticalDivider(width=1)
        self.root = ft.Row([self.rail, self.rail_divider, self.content], expand=True)
        self.vm.on_change = self.render

    def _theme_button(self) -> ft.IconButton:
        return icon_button(
            ft.Icons.DARK_MODE, self.vm.theme_toggle_label, lambda _: self.vm.toggle_theme()
        )

    def mount(self) -> None:
        """Put the shell on the page, wire page events, and start the chat."""
        page = self.page
        page.title = "Tandem"
        page.padding = 8
        page.theme = ft.Theme(color_scheme_seed=ft.Colors.INDIGO)
        page.dark_theme = ft.Theme(color_scheme_seed=ft.Colors.INDIGO)
        page.on_resize = lambda e: self.vm.resize(e.width)
        page.on_keyboard_event = self._on_key
        # A closed tab cannot read the answer; stop generating it (it stays cancelled).
        page.on_close = self.chat.vm.stop
        self.vm.resize(page.width)
        page.add(self.root)
        self.chat.start()
        self.render()

    def _on_key(self, event: ft.KeyboardEvent) -> None:
        if event.key == "Escape":
            self.chat.vm.stop()

    def render(self) -> None:
        """Lay out for the current width, show the selected section, apply the theme."""
        vm = self.vm
        compact = vm.compact
        self.rail.visible = self.rail_divider.visible = not compact
        self.page.navigation_bar = self.bar if compact else None
        self.page.appbar = self.appbar if compact else None
        self.rail.selected_index = self.bar.selected_index = vm.selected
        self.content.content = self._section(vm.current)
        self.page.theme_mode = ft.ThemeMode.DARK if vm.theme == "dark" else ft.ThemeMode.LIGHT
        icon = ft.Icons.LIGHT_MODE if vm.theme == "dark" else ft.Icons.DARK_MODE
        for button in (self.rail.trailing, *(self.appbar.actions or [])):
            if isinstance(button, ft.IconButton):
                set_icon(button, icon, vm.theme_toggle_label)
        self.chat.set_compact(compact)
        self.page.update()

    def _section(self, section: Section) -> ft.Control:
        """The section's control, built on first use; a failure shows why instead."""
        if section.key not in self._built:
            builder = load_builder(section)
            if isinstance(builder, str):
                control = placeholder(section, builder)
            else:
                try:
                    control = self._build(section, builder)
                except Exception as exc:  # one broken section must not take the app down
                    _log.exception("building the %s section failed", section.label)
                    control = placeholder(
                        section, f"This section failed to open: {type(exc).__name__}: {exc}"
                    )
            self._built[section.key] = control
        return self._built[section.key]

    def _build(self, section: Section, builder: SectionBuilder) -> ft.Control:
        if section.key == "team":  # it shares the page's team setup with the chat
            return build_team_view(self.page, self.runtime, config=self.team_config)
        return builder(self.page, self.runtime)


def show_shell(page: ft.Page, runtime: Runtime) -> Shell:
    """Build the shell for `page` and put it on the page."""
    shell = Shell(page, runtime)
    shell.mount()
    return shell
