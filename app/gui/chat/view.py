"""The Flet chat view: renders a `ChatViewModel` and forwards user events to it.

Nothing here decides anything; every rule (what Send does when busy, how a
turn's stats read, whether a file will be sent) lives in the view-models,
which are tested without Flet.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import flet as ft

from app.gui.chat.attachments import AttachmentChip
from app.gui.chat.bubble import Bubble, attachment_chip
from app.gui.chat.team_mode import SWITCH_HELP
from app.gui.chat.view_model import ChatViewModel
from app.gui.widgets.coalesced import FRAME_S, CoalescedRender
from app.gui.widgets.labelled import icon_button


class ChatView:
    """The chat column of one page: messages, attachments, input, Send/Stop and a status line.

    A local model can stream a thousand tokens a second; pushing every one to the
    browser would flood the socket and delay clicks (Stop!) behind the backlog, so
    renders are coalesced (`CoalescedRender`, held by the view).
    """

    def __init__(self, page: ft.Page, vm: ChatViewModel, *, frame_s: float = FRAME_S) -> None:
        self.page = page
        self.vm = vm
        self._coalesced = CoalescedRender(self.render, frame_s)
        self.compact = False
        """On a narrow screen Send and Stop share one place: only the usable one shows."""
        self.before_send: Callable[[], None] | None = None
        """Called as a message is sent (the screen makes this page the app's device source)."""
        self.after_render: Callable[[], None] | None = None
        """Called by `render` before the page is pushed (the chat screen's panels)."""
        self._bubbles: list[Bubble] = []
        self._picker: ft.FilePicker | None = None
        self._pending_shown: list[AttachmentChip] = []
        self.messages = ft.ListView(expand=True, spacing=8, auto_scroll=True, padding=8)
        self.input = ft.TextField(
            hint_text="Ask Tandem…",
            multiline=True,
            shift_enter=True,
            min_lines=1,
            max_lines=6,
            expand=True,
            autofocus=True,
            on_submit=self._on_send,
        )
        self.send_button = ft.FilledButton("Send", icon=ft.Icons.SEND, on_click=self._on_send)
        self.stop_button = ft.OutlinedButton("Stop", icon=ft.Icons.STOP, on_click=self._on_stop)
        self.attach_button = icon_button(ft.Icons.ATTACH_FILE, "Attach a file", self._on_attach)
        self.new_button = ft.TextButton("New chat", icon=ft.Icons.ADD, on_click=self._on_new)
        self.team_switch = ft.Switch(
            label="Team", value=False, tooltip=SWITCH_HELP, on_change=self._on_team
        )
        self.pending = ft.Row(wrap=True, spacing=4, visible=False)
        self.progress = ft.ProgressBar(visible=False)
        self.spinner = ft.ProgressRing(width=14, height=14, stroke_width=2, visible=False)
        self.status = ft.Text(size=12, color=ft.Colors.ON_SURFACE_VARIANT)
        self.error = ft.Text(color=ft.Colors.ERROR, visible=False)
        self.shortcuts = ft.Text(
            "Enter sends · Shift+Enter new line · Esc stops",
            size=11,
            color=ft.Colors.ON_SURFACE_VARIANT,
        )
        self.header = ft.Row(
            [ft.Text("Chat", size=20, weight=ft.FontWeight.BOLD, expand=True), self.new_button]
        )
        self.root = self._layout()

    def _layout(self) -> ft.Column:
        """The controls, top to bottom."""
        return ft.Column(
            [
                self.header,
                self.progress,
                self.messages,
                self.error,
                ft.Row(
                    [
                        self.spinner,
                        ft.Container(self.status, expand=True),
                        self.shortcuts,
                        self.team_switch,
                    ],
                    spacing=6,
                ),
                self.pending,
                ft.Row(
                    [self.attach_button, self.input, self.send_button, self.stop_button],
                    vertical_alignment=ft.CrossAxisAlignment.END,
                ),
            ],
            expand=True,
        )

    def request_render(self) -> None:
        """Schedule a `render` within a frame, however many changes arrive meanwhile."""
        self._coalesced.request()

    def render(self) -> None:
        """Bring every control in line with the view-model's state and push it to the client."""
        vm = self.vm
        while len(self._bubbles) < len(vm.messages):
            index = len(self._bubbles)
            bubble = Bubble(
                on_details=partial(vm.show_detail, index),
                on_chip=self._explain,
                on_rate=partial(vm.rate, index),
                on_reanswer=partial(self._reanswer, index),
            )
            self._bubbles.append(bubble)
            self.messages.controls.append(bubble.row)
        if len(self._bubbles) > len(vm.messages):
            del self._bubbles[len(vm.messages) :]
            del self.messages.controls[len(vm.messages) :]
        for bubble, message in zip(self._bubbles, vm.messages, strict=True):
            bubble.show(
                message, streaming=message.status == "in_progress" and vm.busy, busy=vm.busy
            )
        waiting_for_model = vm.loading_model or (vm.busy and not vm.model_ready)
        self.progress.visible = waiting_for_model
        self.spinner.visible = vm.busy or vm.loading_model or vm.attachments.checking
        self.status.value = "checking attachments…" if vm.attachments.checking else vm.status
        error = vm.error or vm.attachments.error
        self.error.value = error or ""
        self.error.visible = error is not None
        if vm.attachments.chips != self._pending_shown:  # not rebuilt for every token
            self._pending_shown = list(vm.attachments.chips)
            self.pending.controls = [
                attachment_chip(
                    chip, self._explain, partial(vm.attachments.remove, chip.attachment.name)
                )
                for chip in vm.attachments.chips
            ]
            self.pending.visible = bool(vm.attachments.chips)
        self.send_button.disabled = not vm.can_send
        self.stop_button.disabled = not vm.busy
        self.send_button.visible = not (self.compact and vm.busy)
        self.stop_button.visible = not self.compact or vm.busy
        self.new_button.disabled = vm.busy
        self.team_switch.value = vm.team.enabled
        self.team_switch.disabled = vm.busy
        hint = vm.team.placeholder if vm.team.enabled else "Ask Tandem…"
        if self.input.hint_text != hint:
            # Only on a change: any assignment resends the field, which can drop its focus.
            self.input.hint_text = hint
        if self.after_render is not None:
            self.after_render()
        self.page.update()

    async def _on_send(self) -> None:
        text = self.input.value or ""
        # Keep what was typed if the view-model would ignore it (mid-answer).
        if not text.strip() or not self.vm.can_send:
            return
        self.input.value = ""
        if self.before_send is not None:
            self.before_send()
        # Flet runs each event as its own task, so Stop stays clickable while
        # this one waits for the whole answer.
        await self.vm.send(text)
        await self.input.focus()  # type: ignore[no-untyped-call]  # untyped in Flet 1.0

    def _on_team(self, event: ft.Event[ft.Switch]) -> None:
        self.vm.set_team_mode(bool(event.control.value))

    def _on_stop(self) -> None:
        self.vm.stop()

    def _on_new(self) -> None:
        self.vm.new_conversation()

    def _explain(self, chip: AttachmentChip) -> None:
        self.page.show_dialog(ft.SnackBar(ft.Text(f"{chip.attachment.name}: {chip.note}")))

    async def _reanswer(self, index: int) -> None:
        """The answer's re-answer button: the other tier answers, or a snack bar says why not."""
        refusal = self.vm.reanswer_refusal(index)
        if refusal is not None:
            self.page.show_dialog(ft.SnackBar(ft.Text(refusal)))
            return
        await self.vm.reanswer(index)

    async def _on_attach(self) -> None:
        if self._picker is None:
            # A service: created in the page's context and kept referenced, or Flet drops it.
            self._picker = ft.FilePicker()
        # In a browser there is no path, only the bytes; a desktop window gives the path.
        files = await self._picker.pick_files(
            dialog_title="Attach files", allow_multiple=True, with_data=self.page.web
        )
        for picked in files:
            await self.vm.attachments.add_file(picked.name, path=picked.path, data=picked.bytes)
