"""The consent dialog: shows the broker's oldest pending request on a page and sends the answer.

One `ConsentDialog` per page (browser tab or window). Every page shows the same
request; the first answer wins and the dialog closes everywhere. Dismissing the
dialog without a choice counts as "Deny".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from app.gui.services.consent import ConsentAnswer, ConsentBroker, ConsentRequest

_TITLES = {
    "camera": "Allow the camera?",
    "tool": "Allow this tool?",
    "files_write": "Allow this change to your files?",
}
_ICONS = {
    "camera": ft.Icons.PHOTO_CAMERA_OUTLINED,
    "tool": ft.Icons.BUILD_OUTLINED,
    "files_write": ft.Icons.EDIT_DOCUMENT,
}


class ConsentDialog:
    """Renders `broker`'s pending requests on `page` as a modal dialog."""

    def __init__(self, page: ft.Page, broker: ConsentBroker) -> None:
        self.page = page
        self.broker = broker
        self._shown: tuple[str, ft.AlertDialog] | None = None
        self._unsubscribe: object = None

    def attach(self) -> None:
        """Start showing requests (and show any that are already waiting)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.broker.subscribe(self.refresh)
        self.refresh()

    def detach(self) -> None:
        """Stop showing requests on this page (it closed)."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if callable(unsubscribe):
            unsubscribe()
        self._shown = None

    def refresh(self) -> None:
        """Show the oldest pending request, or close the dialog when it was answered."""
        pending = self.broker.pending
        head = pending[0] if pending else None
        if self._shown is not None and (head is None or head.id != self._shown[0]):
            _, dialog = self._shown
            self._shown = None
            dialog.open = False
            dialog.update()
        if head is not None and self._shown is None:
            dialog = self._build(head)
            self._shown = (head.id, dialog)
            self.page.show_dialog(dialog)

    def _build(self, request: ConsentRequest) -> ft.AlertDialog:
        def answer(choice: ConsentAnswer) -> Callable[[Any], None]:
            return lambda _event: self._answer(request.id, choice)

        lines: list[ft.Control] = [ft.Text(request.question, size=16)]
        if request.detail:
            lines.append(ft.Text(request.detail, size=13, selectable=True))
        lines.append(
            ft.Text(
                "Nothing happens unless you allow it; no answer means no.",
                size=12,
                italic=True,
            )
        )
        session = self.broker.offers_session and not request.once
        actions: list[ft.Control] = [
            ft.TextButton("Deny", on_click=answer("deny")),
            ft.FilledButton("Allow once" if session else "Allow", on_click=answer("allow")),
        ]
        if session:
            actions.append(
                ft.TextButton("Allow for this session", on_click=answer("allow_session"))
            )
        return ft.AlertDialog(
            modal=True,
            icon=ft.Icon(_ICONS.get(request.kind, ft.Icons.SHIELD_OUTLINED)),
            title=ft.Text(_TITLES.get(request.kind, "Allow this?")),
            content=ft.Column(lines, tight=True, spacing=8, width=420),
            actions=actions,
            on_dismiss=lambda _event: self._answer(request.id, "deny"),
        )

    def _answer(self, request_id: str, choice: ConsentAnswer) -> None:
        self.broker.answer(request_id, choice)
