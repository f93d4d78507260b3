"""The Flet chat view: renders a `ChatViewModel` and forwards user events to it.

Nothing here decides anything; every rule (what Send does when busy, how a
turn's stats read) lives in the view-model, which is tested without Flet.
"""

from __future__ import annotations

import asyncio

import flet as ft

from app.gui.chat_vm import ChatViewModel, DisplayMessage

_BUBBLE_COLORS = {
    "user": ft.Colors.BLUE_50,
    "assistant": ft.Colors.GREY_100,
    "error": ft.Colors.RED_50,
}
_ROLE_NAMES = {"user": "You", "assistant": "Tandem", "error": "Error"}
# A local model can stream a thousand tokens a second; pushing every one to the
# browser floods the socket and delays clicks (Stop!) behind the backlog.
_FRAME_S = 0.05


class _Bubble:
    """The controls of one message: who, what, and (for answers) where it ran."""

    def __init__(self) -> None:
        self.who = ft.Text(size=12, weight=ft.FontWeight.BOLD)
        self.body = ft.Text(selectable=True)
        self.meta = ft.Text(size=11, italic=True, color=ft.Colors.GREY_700)
        self.box = ft.Container(
            content=ft.Column([self.who, self.body, self.meta], spacing=4, tight=True),
            padding=ft.Padding.symmetric(vertical=8, horizontal=12),
            border_radius=ft.BorderRadius.all(10),
            # Loose flex: short messages shrink-wrap, long ones wrap at the row's width.
            expand=True,
            expand_loose=True,
        )
        self.row = ft.Row([self.box])

    def show(self, message: DisplayMessage, streaming: bool) -> None:
        """Copy `message` into the controls; `streaming` adds a cursor to unfinished text."""
        self.who.value = _ROLE_NAMES[message.role]
        text = message.text + (" ▍" if streaming else "")
        self.body.value = text or "…"
        self.body.color = ft.Colors.RED_900 if message.role == "error" else None
        meta = " · ".join(part for part in (message.route, message.stats) if part)
        self.meta.value = meta
        self.meta.visible = bool(meta)
        self.box.bgcolor = _BUBBLE_COLORS[message.role]
        # Questions sit on the right, answers on the left, like most chat apps.
        self.row.alignment = (
            ft.MainAxisAlignment.END if message.role == "user" else ft.MainAxisAlignment.START
        )


class ChatView:
    """The chat screen of one page: message list, input, Send/Stop and a status line."""

    def __init__(self, page: ft.Page, vm: ChatViewModel, *, frame_s: float = _FRAME_S) -> None:
        self.page = page
        self.vm = vm
        self.frame_s = frame_s
        self._bubbles: list[_Bubble] = []
        self._render_pending = False
        self.messages = ft.ListView(expand=True, spacing=8, auto_scroll=True, padding=8)
        self.input = ft.TextField(
            hint_text="Ask Tandem… (Enter sends, Shift+Enter for a new line)",
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
        self.new_button = ft.TextButton("New chat", icon=ft.Icons.ADD, on_click=self._on_new)
        self.progress = ft.ProgressBar(visible=False)
        self.spinner = ft.ProgressRing(width=14, height=14, stroke_width=2, visible=False)
        self.status = ft.Text(size=12, color=ft.Colors.GREY_700)
        self.error = ft.Text(color=ft.Colors.RED_900, selectable=True, visible=False)
        self.root = ft.Column(
            [
                ft.Row(
                    [ft.Text("Tandem", size=20, weight=ft.FontWeight.BOLD), self.new_button],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                ),
                self.progress,
                self.messages,
                self.error,
                ft.Row([self.spinner, self.status], spacing=6),
                ft.Row(
                    [self.input, self.send_button, self.stop_button],
                    vertical_alignment=ft.CrossAxisAlignment.END,
                ),
            ],
            expand=True,
        )

    def request_render(self) -> None:
        """Schedule a `render` soon, coalescing a burst of changes into one update."""
        if not self._render_pending:
            self._render_pending = True
            asyncio.get_running_loop().call_later(self.frame_s, self._flush)

    def _flush(self) -> None:
        self._render_pending = False
        self.render()

    def render(self) -> None:
        """Bring every control in line with the view-model's state and push it to the client."""
        vm = self.vm
        while len(self._bubbles) < len(vm.messages):
            bubble = _Bubble()
            self._bubbles.append(bubble)
            self.messages.controls.append(bubble.row)
        if len(self._bubbles) > len(vm.messages):
            del self._bubbles[len(vm.messages) :]
            del self.messages.controls[len(vm.messages) :]
        for bubble, message in zip(self._bubbles, vm.messages, strict=True):
            bubble.show(message, streaming=message.status == "in_progress" and vm.busy)
        waiting_for_model = vm.loading_model or (vm.busy and not vm.model_ready)
        self.progress.visible = waiting_for_model
        self.spinner.visible = vm.busy or vm.loading_model
        self.status.value = vm.status
        self.error.value = vm.error or ""
        self.error.visible = vm.error is not None
        self.send_button.disabled = vm.busy
        self.stop_button.disabled = not vm.busy
        self.new_button.disabled = vm.busy
        self.page.update()

    async def _on_send(self) -> None:
        text = self.input.value or ""
        # Keep what was typed if the view-model would ignore it (mid-answer).
        if not text.strip() or self.vm.busy:
            return
        self.input.value = ""
        # Flet runs each event as its own task, so Stop stays clickable while
        # this one waits for the whole answer.
        await self.vm.send(text)
        await self.input.focus()  # type: ignore[no-untyped-call]  # untyped in Flet 1.0

    def _on_stop(self) -> None:
        self.vm.stop()

    def _on_new(self) -> None:
        self.vm.new_conversation()


async def show_chat(page: ft.Page, vm: ChatViewModel) -> ChatView:
    """Put the chat on `page`, show the latest conversation, and start loading the model.

    The model loads in a background task (its weights load in a thread), so
    the page is interactive at once and shows "loading model…" meanwhile.
    """
    page.title = "Tandem"
    page.padding = 12
    view = ChatView(page, vm)
    page.add(view.root)
    vm.load_history()
    view.render()
    vm.on_change = view.request_render
    page.run_task(vm.prepare_model)
    # A closed tab cannot read the answer; stop generating it (it stays cancelled).
    page.on_close = vm.stop
    return view
