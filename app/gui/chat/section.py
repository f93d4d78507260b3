"""The Chat section: the conversation list, the chat itself and an answer's detail panel.

Wide windows show the three side by side; narrow ones show one at a time (the
list behind a button, the details in place of the chat until closed).
"""

from __future__ import annotations

import flet as ft

from app.gui.chat.camera import ChatCamera
from app.gui.chat.conversations.view import ConversationsPanel
from app.gui.chat.conversations.view_model import ConversationsViewModel
from app.gui.chat.detail.view import TurnDetailPanel
from app.gui.chat.view import ChatView
from app.gui.chat.view_model import ChatViewModel
from app.gui.services.mcp_server import AppMcpService
from app.gui.team.view_model import TeamConfig
from app.gui.widgets.labelled import icon_button
from router import Runtime


class ChatScreen:
    """The Chat section of one page, wired to its view-models."""

    def __init__(
        self, page: ft.Page, runtime: Runtime, team_config: TeamConfig | None = None
    ) -> None:
        self.page = page
        # `team_config`: the page's team, set up in the Team section, for the Team switch.
        self.vm = ChatViewModel(runtime, team_config=team_config)
        self.conversations = ConversationsViewModel(runtime)
        self.chat = ChatView(page, self.vm)
        self.list_panel = ConversationsPanel(
            page,
            self.conversations,
            on_open=self._open,
            on_new=self._new,
            on_deleted=self._deleted,
        )
        self.detail_panel = TurnDetailPanel(
            on_close=lambda: self.vm.show_detail(None), on_teach=self.vm.names.teach
        )
        self.compact = False
        self.list_open = True
        self.list_button = icon_button(
            ft.Icons.MENU, "Show or hide conversations", lambda _: self._toggle_list()
        )
        self.chat.header.controls.insert(0, self.list_button)
        # The chat's device tools read the phone (or browser) of the page that asked.
        self.chat.before_send = lambda: AppMcpService.for_runtime(runtime).page_active(page)
        # The camera button sits beside "Attach a file" in the input row.
        self.camera = ChatCamera(page, self.vm.attachments)
        input_row = next(
            c
            for c in self.chat.root.controls
            if isinstance(c, ft.Row) and self.chat.attach_button in c.controls
        )
        input_row.controls.insert(1, self.camera.button)
        # On a phone the list replaces the chat, so it needs its own way back.
        self.back_button = icon_button(
            ft.Icons.ARROW_BACK, "Back to the chat", lambda _: self._toggle_list()
        )
        self.back_button.visible = False
        self.list_panel.header.controls.insert(0, self.back_button)
        self.divider = ft.VerticalDivider(width=1)
        self.root = ft.Row(
            [self.list_panel.root, self.divider, self.chat.root, self.detail_panel.root],
            expand=True,
            vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self._turns_listed = 0
        self.chat.after_render = self._sync
        self.vm.on_change = self.chat.request_render
        self.conversations.on_change = self.chat.request_render

    def start(self) -> None:
        """Show the latest conversation and the list, and start loading the model."""
        self.vm.load_history()
        self.conversations.refresh()
        self.page.run_task(self.vm.prepare_model)
        self.page.run_task(self.vm.prepare_privacy)

    def set_compact(self, compact: bool) -> None:
        """Switch between the side-by-side layout and the one-panel-at-a-time one."""
        if compact != self.compact:
            self.compact = compact
            self.list_open = not compact
            self.chat.shortcuts.visible = not compact  # phones have no Esc key; room is short
            self.back_button.visible = compact
            self.chat.compact = compact
            self._layout()
            self.chat.request_render()  # Send and Stop change places

    def _sync(self) -> None:
        """Bring the list and the detail panel in line with the view-models (each render)."""
        if self.vm.turns_ended != self._turns_listed:
            # A first turn creates (and titles) the conversation. Counted, not inferred from
            # `busy`: a fast answer can start and end within one coalesced render.
            self._turns_listed = self.vm.turns_ended
            self.conversations.refresh()
        self.list_panel.current = self.vm.session_id
        self.list_panel.render()
        detail = self.vm.detail
        self.detail_panel.show(detail.detail if detail else None, self.vm.names)
        self._layout()

    def _layout(self) -> None:
        detail_open = self.detail_panel.root.visible
        if self.compact:
            # One panel at a time: details, else the list if opened, else the chat.
            self.list_panel.root.visible = self.list_open and not detail_open
            self.chat.root.visible = not detail_open and not self.list_open
            self.detail_panel.root.expand = True
            self.list_panel.root.expand = True
        else:
            self.list_panel.root.visible = self.list_open
            self.chat.root.visible = True
            self.detail_panel.root.expand = False
            self.list_panel.root.expand = False
        self.divider.visible = self.list_panel.root.visible and self.chat.root.visible

    def _toggle_list(self) -> None:
        self.list_open = not self.list_open
        self._layout()
        self.page.update()

    def _open(self, session_id: str) -> None:
        self.vm.open_conversation(session_id)
        if self.compact:
            self.list_open = False
            self.chat.request_render()

    def _new(self) -> None:
        self.vm.new_conversation()
        if self.compact:
            self.list_open = False
            self.chat.request_render()

    def _deleted(self, session_id: str) -> None:
        if session_id == self.vm.session_id:
            self.vm.new_conversation()
