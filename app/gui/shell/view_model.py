"""The shell's state: which section is shown, the layout for the window's width, the theme.

No Flet here: `app/gui/shell/view.py` renders this and forwards navigation clicks,
page resizes and the theme toggle, so the rules are tested without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

ThemeName = Literal["light", "dark"]

COMPACT_WIDTH = 720
"""Below this many logical pixels the rail becomes a bottom navigation bar (phones)."""


@dataclass(frozen=True)
class Section:
    """One destination of the navigation: its label, icons and the view that builds it."""

    key: str
    label: str
    icon: str
    """Name of the outlined `ft.Icons` member shown when not selected."""
    selected_icon: str
    module: str
    """Module whose `build_<key>_view(page, runtime)` builds the section."""

    @property
    def builder(self) -> str:
        """Name of the function in `module` that builds the section."""
        return f"build_{self.key}_view"


SECTIONS: tuple[Section, ...] = (
    Section("chat", "Chat", "CHAT_BUBBLE_OUTLINE", "CHAT_BUBBLE", "app.gui.chat.section"),
    Section("team", "Team", "GROUPS_OUTLINED", "GROUPS", "app.gui.team.view"),
    Section("privacy", "Privacy", "SHIELD_OUTLINED", "SHIELD", "app.gui.privacy.view"),
    Section("models", "Models", "MEMORY_OUTLINED", "MEMORY", "app.gui.models.view"),
    Section("mcp", "MCP", "HUB_OUTLINED", "HUB", "app.gui.mcp.view"),
    Section("phones", "Phones", "SMARTPHONE_OUTLINED", "SMARTPHONE", "app.gui.phones.view"),
    Section("dashboard", "Dashboard", "DASHBOARD_OUTLINED", "DASHBOARD", "app.gui.dashboard.view"),
)

DEVICE_ADMIN_SECTIONS = frozenset({"phones"})
"""Sections a paired phone's page does not get: from the Phones section it could pair more
devices, revoke others or stop serving, and a lost phone must be cut off by one revoke."""


def sections_for(*, paired_phone: bool) -> tuple[Section, ...]:
    """The sections of a page: all of them on this computer, fewer on a paired phone's page."""
    if not paired_phone:
        return SECTIONS
    return tuple(s for s in SECTIONS if s.key not in DEVICE_ADMIN_SECTIONS)


class ShellViewModel:
    """Navigation, layout mode and theme of one page; `on_change` runs after each change."""

    def __init__(
        self,
        sections: tuple[Section, ...] = SECTIONS,
        *,
        theme: ThemeName = "light",
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if not sections:
            raise ValueError("the shell needs at least one section")
        self.sections = sections
        self.selected = 0
        self.compact = False
        self.theme: ThemeName = theme
        self.on_change = on_change

    @property
    def current(self) -> Section:
        """The section shown now."""
        return self.sections[self.selected]

    def index_of(self, key: str) -> int:
        """Position of the section named `key`; raises `KeyError` for an unknown one."""
        for i, section in enumerate(self.sections):
            if section.key == key:
                return i
        raise KeyError(f"no section {key!r}; known: {', '.join(s.key for s in self.sections)}")

    def select(self, index: int) -> None:
        """Show the section at `index`; out-of-range indexes are ignored."""
        if 0 <= index < len(self.sections) and index != self.selected:
            self.selected = index
            self._changed()

    def resize(self, width: float | None) -> None:
        """Pick the layout for a page `width` pixels wide (None: unknown, keep the layout)."""
        if width is None or width <= 0:
            return
        compact = width < COMPACT_WIDTH
        if compact != self.compact:
            self.compact = compact
            self._changed()

    def toggle_theme(self) -> None:
        """Switch between the light and the dark theme."""
        self.theme = "dark" if self.theme == "light" else "light"
        self._changed()

    @property
    def theme_toggle_label(self) -> str:
        """What the theme button does, for its tooltip and screen readers."""
        return "Dark theme" if self.theme == "light" else "Light theme"

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
