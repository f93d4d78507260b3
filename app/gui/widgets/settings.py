"""Small Flet helpers shared by the settings sections (privacy, models, MCP, dashboard)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import flet as ft

ACTION_COLORS = {
    "keep_local": ft.Colors.RED_100,
    "keep_mine": ft.Colors.ORANGE_100,
    "redact": ft.Colors.AMBER_100,
    "allow": ft.Colors.GREEN_100,
}
ACTION_LABELS = {
    "keep_local": "keep local",
    "keep_mine": "keep on my devices",
    "redact": "redact",
    "allow": "allow",
}


def refresh(control: ft.Control) -> None:
    """Push `control`'s changes to the browser, if it is on a page yet."""
    # Not mounted yet: it is sent whole when it is added.
    with contextlib.suppress(RuntimeError):
        control.update()


def title(text: str) -> ft.Text:
    """A section's heading."""
    return ft.Text(text, size=20, weight=ft.FontWeight.BOLD)


def subtitle(text: str) -> ft.Text:
    """A heading inside a section."""
    return ft.Text(text, size=16, weight=ft.FontWeight.W_600)


def hint(text: str = "") -> ft.Text:
    """Small grey explanatory text."""
    return ft.Text(text, size=12, color=ft.Colors.ON_SURFACE_VARIANT)


def message_line() -> tuple[ft.Text, ft.Text]:
    """A notice line (green) and an error line (red), both hidden while empty."""
    notice = ft.Text(color=ft.Colors.GREEN_800, visible=False)
    error = ft.Text(color=ft.Colors.RED_900, selectable=True, visible=False)
    return notice, error


def show_messages(
    notice: ft.Text, error: ft.Text, notice_text: str, error_text: str | None
) -> None:
    """Fill the notice and error lines from a view-model's state."""
    notice.value = notice_text
    notice.visible = bool(notice_text) and not error_text
    error.value = error_text or ""
    error.visible = bool(error_text)


def chip(text: str, color: str) -> ft.Container:
    """A small coloured label, e.g. a rule's action."""
    return ft.Container(
        # Light chip colours in both themes, so the text stays dark on them.
        ft.Text(text, size=12, color=ft.Colors.BLACK),
        bgcolor=color,
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        border_radius=ft.BorderRadius.all(8),
    )


def action_chip(action: str) -> ft.Container:
    """The coloured label of a privacy action (keep local, redact, allow)."""
    return chip(ACTION_LABELS.get(action, action), ACTION_COLORS.get(action, ft.Colors.GREY_200))


def form_row(*cells: tuple[ft.Control, int]) -> ft.ResponsiveRow:
    """Fields side by side on wide screens (each `span` of 12 columns), stacked on phones."""
    for control, span in cells:
        control.expand = None
        if isinstance(control, ft.LayoutControl):
            control.width = None  # the column decides
        control.col = {"xs": 12, "md": span}
    return ft.ResponsiveRow([c for c, _ in cells], vertical_alignment=ft.CrossAxisAlignment.CENTER)


def card(*controls: ft.Control) -> ft.Card:
    """A padded card holding a column of controls."""
    return ft.Card(ft.Container(ft.Column(list(controls), spacing=8), padding=12))


def dropdown(
    label: str, value: str, options: list[str], on_select: Callable[[str], None], width: int = 220
) -> ft.Dropdown:
    """A dropdown of plain string options that calls `on_select(value)` on a choice."""

    def selected(e: ft.Event[ft.Dropdown]) -> None:
        on_select(str(e.control.value))

    return ft.Dropdown(
        label=label,
        value=value,
        options=[ft.DropdownOption(key=o, text=o) for o in options],
        on_select=selected,
        width=width,
    )


@ft.control("Column")  # type: ignore[arg-type]  # Flet's decorator is typed for its own controls
class ShownColumn(ft.Column):
    """A column that calls its `shown` callback each time it is put on the page."""

    def did_mount(self) -> None:
        """Refresh once per appearance, as a task (not inside the mount itself)."""
        super().did_mount()  # type: ignore[no-untyped-call]
        # Only the first call per appearance refreshes, so a refresh can never
        # start another one.
        shown: Callable[[], object] | None = getattr(self, "_shown", None)
        if shown is None or getattr(self, "_on_page", False):
            return
        self._on_page = True

        async def later() -> None:
            shown()

        self.page.run_task(later)

    def when_shown(self, callback: Callable[[], object] | None) -> None:
        """Call `callback` (on the page's loop) each time the column appears."""
        self._shown = callback

    def will_unmount(self) -> None:
        """Forget the appearance, so the next one refreshes again."""
        self._on_page = False
        super().will_unmount()  # type: ignore[no-untyped-call]


def scrolling(*controls: ft.Control, shown: Callable[[], object] | None = None) -> ShownColumn:
    """A section's outer column: fills the space, scrolls, and calls `shown` when shown."""
    column = ShownColumn(list(controls), expand=True, scroll=ft.ScrollMode.AUTO, spacing=12)
    column.when_shown(shown)
    return column
