"""The detail panel of one answer: where it ran and why, what was sent, what stayed local."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.gui.chat.bubble import badge_color
from app.gui.chat.detail.model import TurnDetail
from app.gui.chat.detail.names import FoundName, NameTeacher
from app.gui.widgets.labelled import icon_button
from router.privacy.taught import Teaching

TeachFn = Callable[[str, Teaching], object]


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

    def __init__(self, on_close: Callable[[], None], on_teach: TeachFn | None = None) -> None:
        self.on_teach = on_teach
        """Called with a name and `public` or `private` when the user marks it."""
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
        self._shown: tuple[object, ...] | None = None

    def show(self, detail: TurnDetail | None, names: NameTeacher | None = None) -> None:
        """Render `detail` and the names of its question, or hide the panel when None."""
        self.root.visible = detail is not None
        shown = (detail, names.found, names.notice, names.error) if names else (detail,)
        if detail is None or shown == self._shown:
            return
        self._shown = shown
        badge = ft.Container(
            ft.Text(detail.badge, color=ft.Colors.WHITE, size=12, weight=ft.FontWeight.BOLD),
            bgcolor=badge_color(detail.badge),
            padding=ft.Padding.symmetric(vertical=2, horizontal=8),
            border_radius=ft.BorderRadius.all(8),
        )
        controls: list[ft.Control] = [
            ft.Row([badge, ft.Text(f"{detail.endpoint} · policy {detail.policy}", size=12)]),
            *([_heading("Zone"), ft.Text(detail.zone, size=12)] if detail.zone else []),
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
        if names is not None and names.found:
            controls += self._names(names)
        controls += [_heading("Tokens, time and cost"), *_lines(detail.numbers)]
        self.body.controls = controls

    def _names(self, names: NameTeacher) -> list[ft.Control]:
        """Each name of the question, with one click to mark it public or private."""
        controls: list[ft.Control] = [
            _heading("Names in the question"),
            ft.Text("Teach Tandem: a public name is sent as it is, a private one never.", size=12),
        ]
        controls += [self._name_row(found) for found in names.found]
        if names.notice:
            controls.append(ft.Text(names.notice, size=12, color=ft.Colors.GREEN_900))
        if names.error:
            controls.append(ft.Text(names.error, size=12, color=ft.Colors.RED_900))
        return controls

    def _name_row(self, found: FoundName) -> ft.Control:
        def teach(teaching: Teaching) -> Callable[[ft.Event[ft.TextButton]], None]:
            def clicked(_: ft.Event[ft.TextButton]) -> None:
                if self.on_teach is not None:
                    self.on_teach(found.text, teaching)

            return clicked

        public = ft.TextButton(
            "Send it next time", tooltip="This name is public", on_click=teach("public")
        )
        private = ft.TextButton(
            "Never send it", tooltip="This name is private", on_click=teach("private")
        )
        public.disabled = found.taught == "public"
        private.disabled = found.taught == "private"
        return ft.Column(
            [ft.Text(f"• {found.line}", size=12), ft.Row([public, private], wrap=True)],
            spacing=0,
        )
