"""One chat message on screen: who, the text, attachment chips, and for answers a route badge."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.gui.chat.attachments import AttachmentChip
from app.gui.chat.feedback import REANSWER_LABELS, rateable, reanswer_tier
from app.gui.chat.messages import DisplayMessage

BUBBLE_COLORS = {
    "user": ft.Colors.PRIMARY_CONTAINER,
    "assistant": ft.Colors.SURFACE_CONTAINER_HIGHEST,
    "error": ft.Colors.ERROR_CONTAINER,
}
ROLE_NAMES = {"user": "You", "assistant": "Tandem", "error": "Error"}
# The thumbs: (icon, label) unrated and rated; pressing a rated thumb takes the rating back.
# The label rides on the icon, with no tooltip: Flutter would merge a tooltip into the
# answer's own label (what screen readers read out for the whole bubble).
THUMBS = {
    True: (
        (ft.Icons.THUMB_UP_OUTLINED, "Good answer"),
        (ft.Icons.THUMB_UP, "Rated good: press to take it back"),
    ),
    False: (
        (ft.Icons.THUMB_DOWN_OUTLINED, "Bad answer"),
        (ft.Icons.THUMB_DOWN, "Rated bad: press to take it back"),
    ),
}

# Badge colours by the trust zone the answer came from: the device is the safe default, green.
BADGE_COLORS = {
    "device": ft.Colors.GREEN_700,
    "your devices": ft.Colors.TEAL_700,
    "cloud": ft.Colors.BLUE_700,
    "team": ft.Colors.PURPLE_700,
}


def badge_color(badge: str) -> str:
    """The badge's colour; `redacted → cloud` and `redacted → your devices` are amber, as a
    reminder."""
    if badge.startswith("redacted"):
        return ft.Colors.AMBER_800
    return BADGE_COLORS.get(badge, ft.Colors.GREY_700)


def attachment_chip(
    chip: AttachmentChip,
    on_click: Callable[[AttachmentChip], None],
    on_delete: Callable[[], None] | None = None,
) -> ft.Chip:
    """A chip naming the file and whether it is (or was) sent; the tooltip and a click say why.

    A chip without a click handler is drawn (and announced) as disabled, its
    delete button too, so the click explains the verdict (handy on touch screens).
    """
    icon = ft.Icons.CLOUD_UPLOAD_OUTLINED if chip.will_send else ft.Icons.LOCK_OUTLINE
    if chip.verdict == "checking":
        icon = ft.Icons.HOURGLASS_EMPTY
    return ft.Chip(
        label=ft.Text(chip.label, size=12),
        leading=ft.Icon(icon, size=16),
        tooltip=chip.note,
        on_click=lambda _: on_click(chip),
        on_delete=(lambda _: on_delete()) if on_delete else None,
        delete_icon_tooltip=f"Remove {chip.attachment.name}",
    )


class Bubble:
    """The controls of one message; `show` copies a `DisplayMessage` into them.

    Under an answer: the thumbs (`on_rate(good)`) and the re-answer button (`on_reanswer`).
    """

    def __init__(
        self,
        on_details: Callable[[], None],
        on_chip: Callable[[AttachmentChip], None],
        on_rate: Callable[[bool], Awaitable[None]] | None = None,
        on_reanswer: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._on_chip = on_chip
        self._on_rate = on_rate
        self._on_reanswer = on_reanswer
        self.who = ft.Text(size=12, weight=ft.FontWeight.BOLD)
        self.badge_text = ft.Text(size=11, color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD)
        self.badge = ft.Container(
            content=self.badge_text,
            padding=ft.Padding.symmetric(vertical=2, horizontal=8),
            border_radius=ft.BorderRadius.all(8),
            visible=False,
        )
        self.details = ft.TextButton(
            "Details", icon=ft.Icons.INFO_OUTLINE, on_click=lambda _: on_details(), visible=False
        )
        # Not `selectable`: a selectable Text (or a SelectionArea) hides its words from
        # the semantics tree, so screen readers and browser tests could not read them.
        self.body = ft.Text()
        self.heading = ft.Text(size=12, italic=True, visible=False)
        """Over a re-answer: whose answer to which question it is."""
        self.good = ft.IconButton(icon=_labelled(*THUMBS[True][0]), on_click=self._rate_good)
        self.bad = ft.IconButton(icon=_labelled(*THUMBS[False][0]), on_click=self._rate_bad)
        self.reanswer = ft.TextButton("", icon=ft.Icons.SWAP_HORIZ, on_click=self._reanswer)
        self.feedback = ft.Row([self.good, self.bad, self.reanswer], spacing=0, visible=False)
        self._rating_shown: bool | None = None
        self.chips = ft.Row(wrap=True, spacing=4, visible=False)
        self.notices = ft.Text(size=12, color=ft.Colors.ERROR, visible=False)
        self.meta = ft.Text(size=11, italic=True, color=ft.Colors.ON_SURFACE_VARIANT)
        self.box = ft.Container(
            content=ft.Column(
                [
                    ft.Row([self.who, self.badge, self.details], spacing=8, wrap=True),
                    self.heading,
                    self.body,
                    self.notices,
                    self.chips,
                    self.meta,
                    self.feedback,
                ],
                spacing=4,
                tight=True,
            ),
            padding=ft.Padding.symmetric(vertical=8, horizontal=12),
            border_radius=ft.BorderRadius.all(10),
            # Loose flex: short messages shrink-wrap, long ones wrap at the row's width.
            expand=True,
            expand_loose=True,
        )
        self.row = ft.Row([self.box])
        self._chips_shown: list[AttachmentChip] | None = None

    async def _rate_good(self) -> None:
        if self._on_rate is not None:
            await self._on_rate(True)

    async def _rate_bad(self) -> None:
        if self._on_rate is not None:
            await self._on_rate(False)

    async def _reanswer(self) -> None:
        if self._on_reanswer is not None:
            await self._on_reanswer()

    def show(self, message: DisplayMessage, streaming: bool, busy: bool = False) -> None:
        """Copy `message` into the controls; `streaming` adds a cursor to unfinished text.

        While `busy` (an answer streams) the re-answer button is off: one turn at a time.
        """
        self.who.value = ROLE_NAMES[message.role]
        text = message.text + (" ▍" if streaming else "")
        self.body.value = text or "…"
        self.body.color = ft.Colors.ON_ERROR_CONTAINER if message.role == "error" else None
        self.badge.visible = bool(message.badge)
        self.badge_text.value = message.badge
        self.badge.bgcolor = badge_color(message.badge)
        self.details.visible = message.detail is not None
        self.notices.value = "\n".join(f"⚠ {n}" for n in message.notices)
        self.notices.visible = bool(message.notices)
        meta = " · ".join(p for p in (message.route, message.stats, message.cost) if p)
        self.meta.value = meta
        self.meta.visible = bool(meta)
        if message.chips != self._chips_shown:  # rebuilt only when they change, not per token
            self._chips_shown = list(message.chips)
            self.chips.controls = [attachment_chip(c, self._on_chip) for c in message.chips]
            self.chips.visible = bool(message.chips)
        self.heading.value = message.heading
        self.heading.visible = bool(message.heading)
        self._show_feedback(message, busy)
        self.box.bgcolor = BUBBLE_COLORS[message.role]
        # Questions sit on the right, answers on the left, like most chat apps.
        self.row.alignment = (
            ft.MainAxisAlignment.END if message.role == "user" else ft.MainAxisAlignment.START
        )

    def _show_feedback(self, message: DisplayMessage, busy: bool) -> None:
        """The thumbs and the re-answer button, for an answer one tier gave."""
        self.feedback.visible = rateable(message)
        if message.rating != self._rating_shown:
            # New icons only on a change: not resent with every streamed token.
            self._rating_shown = message.rating
            for good, button in ((True, self.good), (False, self.bad)):
                button.icon = _labelled(*THUMBS[good][message.rating is good])
        tier = reanswer_tier(message)
        self.reanswer.visible = tier is not None
        self.reanswer.disabled = busy
        if tier is not None:
            self.reanswer.content = REANSWER_LABELS[tier]


def _labelled(icon: ft.IconData, label: str) -> ft.Icon:
    """An icon that assistive technology (and browser tests) call `label`."""
    return ft.Icon(icon, semantics_label=label)
