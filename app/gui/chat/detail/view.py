"""The detail panel of one answer: where it ran and why, what was sent, what stayed local."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.gui.chat.bubble import badge_color
from app.gui.chat.detail.model import TurnDetail
from app.gui.widgets.labelled import icon_button


def _heading(text: str) -> ft.Text:
    return ft.Text(text, weight=ft.FontWeight.BOLD, size=13)


def _lines(lines: tuple[str, ...]) -> list[ft.Control]:
    return [ft.Text(f"• {line}", size=12) for line in lines]


def _monospace(text: str) -> ft.Control:
    return ft.Container(
        ft.Text(text, size=12, font_family="monospace"),
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        padding=8,
        border_radius=ft.BorderRadius.all(6),
    )


def _sent_text_caption(detail: TurnDetail) -> str:
    if detail.sent_text_rebuilt:
        # Turns older than the record of sent requests: only the question can be rebuilt.
        return (
            "The question as it left this device, rebuilt from this conversation's "
            "placeholders (no record of the whole request was kept for this turn):"
        )
    return "The question as it left this device:"


class TurnDetailPanel:
    """A side panel (or, on narrow screens, the whole chat area) showing a `TurnDetail`."""

    def __init__(self, on_close: Callable[[], None]) -> None:
        self.body = ft.Column(spacing=6, scroll=ft.ScrollMode.AUTO, expand=True)
        self.root = ft.Container(
            content=ft.Column(
                [
                    ft.Row(
                        [
                            ft.Text("What was sent", size=16, weight=ft.FontWeight.BOLD),
                            icon_button(ft.Icons.CLOSE, "Close details", lambda _: on_close()),
                        ],
                        alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                    ),
                    self.body,
                ],
                expand=True,
            ),
            padding=12,
            width=340,
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
            border_radius=ft.BorderRadius.all(10),
            visible=False,
        )
        self._shown: TurnDetail | None = None

    def show(self, detail: TurnDetail | None) -> None:
        """Render `detail`, or hide the panel when None."""
        self.root.visible = detail is not None
        if detail is None or detail == self._shown:
            return
        self._shown = detail
        badge = ft.Container(
            ft.Text(detail.badge, color=ft.Colors.WHITE, size=12, weight=ft.FontWeight.BOLD),
            bgcolor=badge_color(detail.badge),
            padding=ft.Padding.symmetric(vertical=2, horizontal=8),
            border_radius=ft.BorderRadius.all(8),
        )
        controls: list[ft.Control] = [
            ft.Row([badge, ft.Text(f"{detail.endpoint} · policy {detail.policy}", size=12)]),
            _heading("Why"),
            ft.Text(detail.reason or "(no reason recorded)", size=12),
            _heading("Privacy"),
            ft.Text(detail.privacy, size=12),
            _heading("Sent"),
            *_lines(detail.sent),
        ]
        if detail.sent_text is not None:
            controls.append(ft.Text(_sent_text_caption(detail), size=12))
            controls.append(_monospace(detail.sent_text))
        if detail.sent_messages:
            controls.append(ft.Text(detail.sent_caption, size=12))
            controls += [_monospace(line) for line in detail.sent_messages]
        if detail.team_caption:
            controls += [_heading("Messages between agents"), ft.Text(detail.team_caption, size=12)]
            controls += [_monospace(line) for line in detail.team_messages]
        controls += [_heading("Stayed on this device"), *_lines(detail.kept_local)]
        controls += [_heading("Tokens, time and cost"), *_lines(detail.numbers)]
        self.body.controls = controls
