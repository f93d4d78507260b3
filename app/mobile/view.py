"""The phone app's screen (Flet): connect (pair, key), then chat with badges.

A small dedicated view rather than the desktop shell (app/gui), whose sections
manage models, MCP servers and memory the phone does not run. State and actions
live in `PhoneViewModel` (app/mobile/view_model.py).
"""

from __future__ import annotations

import flet as ft

from app.mobile.view_model import ChatLine, PhoneViewModel

_BUBBLE = {"user": ft.Colors.BLUE_50, "assistant": ft.Colors.GREY_100, "notice": ft.Colors.AMBER_50}


def _bubble(line: ChatLine) -> ft.Control:
    """One chat line: the text, and under an answer its badge."""
    parts: list[ft.Control] = [ft.Text(line.text, selectable=True)]
    if line.badge:
        parts.append(ft.Text(line.badge, size=11, color=ft.Colors.GREY_700))
    return ft.Container(
        ft.Column(parts, spacing=2, tight=True),
        bgcolor=_BUBBLE[line.role],
        padding=10,
        border_radius=10,
    )


class PhoneView:
    """The controls of the phone's one page, bound to a `PhoneViewModel`."""

    def __init__(self, page: ft.Page, vm: PhoneViewModel) -> None:
        """Build the controls on `page` for `vm`."""
        self.page, self.vm = page, vm
        self.status = ft.Text(vm.status(), size=12, color=ft.Colors.GREY_700)
        self.link = ft.TextField(label="Pairing link from your Tandem's QR code", dense=True)
        self.name = ft.TextField(label="This phone's name", value="My phone", dense=True)
        self.key = ft.TextField(label="Anthropic API key", password=True, dense=True)
        self.outcome = ft.Text(size=12)
        self.chat = ft.ListView(expand=True, spacing=8, auto_scroll=True)
        self.question = ft.TextField(
            hint_text="Ask Tandem", expand=True, multiline=True, shift_enter=True,
            on_submit=self._on_send,
        )  # fmt: skip
        self.send = ft.IconButton(ft.Icons.SEND, on_click=self._on_send, tooltip="Send")

    def controls(self) -> list[ft.Control]:
        """The page's content: status, the connect panel, the chat and the input row."""
        notices = "\n".join(self.vm.notices()) or "Everything Tandem needs is on this phone."
        connect = ft.ExpansionTile(
            title=ft.Text("Connect"),
            controls=[
                self.link,
                self.name,
                ft.Row([
                    ft.FilledButton("Pair", on_click=self._on_pair),
                    ft.TextButton("Forget pairing", on_click=self._on_forget),
                ]),
                self.key,
                ft.FilledButton("Save key", on_click=self._on_key),
                self.outcome,
                ft.Text(notices, size=11, color=ft.Colors.GREY_700),
            ],
        )  # fmt: skip
        return [self.status, connect, self.chat, ft.Row([self.question, self.send])]

    def _say(self, message: str) -> None:
        self.outcome.value = message
        self.status.value = self.vm.status()
        self.page.update()

    async def _on_pair(self) -> None:
        self._say("Pairing…")
        self._say(await self.vm.pair(self.link.value or "", self.name.value or ""))

    async def _on_forget(self) -> None:
        self._say(await self.vm.forget_pairing())

    async def _on_key(self) -> None:
        message = await self.vm.save_key(self.key.value or "")
        self.key.value = ""
        self._say(message)

    async def _on_send(self) -> None:
        text = (self.question.value or "").strip()
        if not text:
            return
        self.question.value = ""
        self.chat.controls.append(_bubble(ChatLine("user", text)))
        pending = ft.Text("…", selectable=True)
        self.chat.controls.append(pending)
        self.page.update()

        def streamed(answer: str) -> None:
            pending.value = answer
            self.page.update()

        line = await self.vm.ask(text, streamed)
        self.chat.controls[-1] = _bubble(line)
        self.page.update()


async def phone_main(page: ft.Page) -> None:
    """Flet's entry point for the phone app (packaging/mobile/src/main.py)."""
    page.title = "Tandem"
    page.padding = 12
    vm = await PhoneViewModel.open()
    view = PhoneView(page, vm)
    page.add(ft.SafeArea(ft.Column(view.controls(), expand=True), expand=True))
