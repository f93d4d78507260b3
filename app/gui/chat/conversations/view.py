"""The conversation list panel: search, new, open, rename and delete (renders the view-model)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.gui.chat.conversations.view_model import ConversationItem, ConversationsViewModel
from app.gui.widgets.labelled import icon_button


class ConversationsPanel:
    """A column of conversations; `on_open(id)` and `on_new()` reach the chat."""

    def __init__(
        self,
        page: ft.Page,
        vm: ConversationsViewModel,
        *,
        on_open: Callable[[str], None],
        on_new: Callable[[], None],
        on_deleted: Callable[[str], None],
    ) -> None:
        self.page = page
        self.vm = vm
        self.on_open = on_open
        self.on_deleted = on_deleted
        self.current: str | None = None
        """Id of the conversation the chat shows, highlighted in the list."""
        self._shown: tuple[object, ...] = ()
        self.search = ft.TextField(
            label="Search conversations",
            prefix_icon=ft.Icons.SEARCH,
            dense=True,
            on_submit=self._on_search,
        )
        self.header = ft.Row(
            [
                ft.FilledTonalButton(
                    "New conversation", icon=ft.Icons.ADD, on_click=lambda _: on_new()
                ),
                icon_button(ft.Icons.MANAGE_SEARCH, "Rebuild search index", self._on_rebuild),
            ]
        )
        self.searching = ft.ProgressBar(visible=False)
        self.rebuilding = ft.ProgressBar(visible=False)
        self.notice = ft.Text(size=12, visible=False)
        self.error = ft.Text(size=12, color=ft.Colors.ERROR, visible=False)
        self.list = ft.ListView(expand=True, spacing=2)
        self.root = ft.Container(
            content=ft.Column(
                [
                    self.header,
                    self.search,
                    self.searching,
                    self.rebuilding,
                    self.notice,
                    self.error,
                    self.list,
                ],
                expand=True,
            ),
            width=270,
            padding=8,
        )

    def render(self) -> None:
        """Copy the view-model's list into the controls (the caller pushes the page)."""
        vm = self.vm
        self.searching.visible = vm.searching
        self.rebuilding.visible = vm.rebuild_progress is not None
        self.rebuilding.value = vm.rebuild_progress or None  # None: indeterminate at first
        self.notice.value = vm.notice or ""
        self.notice.visible = vm.notice is not None
        self.error.value = vm.error or ""
        self.error.visible = vm.error is not None
        shown = (list(vm.items), vm.renaming, self.current, vm.query)
        if shown == self._shown:  # the chat renders per streamed frame; the list rarely changes
            return
        self._shown = shown
        rows: list[ft.Control] = [self._row(item) for item in vm.items]
        if not rows:
            empty = "No matching conversations" if vm.query else "No conversations yet"
            rows = [ft.Text(empty, size=12, italic=True)]
        self.list.controls = rows

    def _row(self, item: ConversationItem) -> ft.Control:
        if self.vm.renaming == item.id:
            field = ft.TextField(label="New title", value=item.title, dense=True, autofocus=True)
            field.on_submit = lambda _: self.vm.rename(item.id, field.value or "")
            field.on_blur = lambda _: self.vm.rename(item.id, field.value or "")
            return field
        subtitle = item.match or f"{item.turns} turn{'s' if item.turns != 1 else ''}"
        return ft.ListTile(
            title=ft.Text(item.title, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
            subtitle=ft.Text(subtitle, size=11, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
            selected=item.id == self.current,
            dense=True,
            on_click=lambda _: self.on_open(item.id),
            trailing=ft.PopupMenuButton(
                icon=ft.Icon(ft.Icons.MORE_VERT, semantics_label=f"Actions for {item.title}"),
                tooltip=f"Rename or delete {item.title}",
                items=[
                    ft.PopupMenuItem(
                        "Rename",
                        icon=ft.Icons.EDIT,
                        on_click=lambda _: self.vm.start_rename(item.id),
                    ),
                    ft.PopupMenuItem(
                        "Delete", icon=ft.Icons.DELETE, on_click=lambda _: self._confirm(item)
                    ),
                ],
            ),
        )

    async def _on_rebuild(self, _: object) -> None:
        await self.vm.rebuild_index()

    async def _on_search(self) -> None:
        await self.vm.search(self.search.value or "")

    def _confirm(self, item: ConversationItem) -> None:
        async def delete() -> None:
            self.page.pop_dialog()
            await self.vm.delete(item.id)
            self.on_deleted(item.id)

        self.page.show_dialog(_confirm_dialog(item.title, delete, self.page.pop_dialog))


def _confirm_dialog(
    title: str, on_delete: Callable[[], Awaitable[None]], on_cancel: Callable[[], object]
) -> ft.AlertDialog:
    return ft.AlertDialog(
        modal=True,
        title=ft.Text("Delete this conversation?"),
        content=ft.Text(f"“{title}” and all its turns are removed from this device."),
        actions=[
            ft.TextButton("Cancel", on_click=lambda _: on_cancel()),
            ft.FilledButton("Delete", on_click=on_delete),
        ],
    )
