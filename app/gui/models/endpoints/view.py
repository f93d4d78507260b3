"""The off-device endpoints card of the Models section: list, editor, key and test."""

from __future__ import annotations

from typing import Literal, cast

import flet as ft

from app.gui.models.endpoints.view_model import EndpointForm, EndpointRow, EndpointsViewModel
from app.gui.widgets import settings as w
from app.gui.widgets.labelled import icon_button


class EndpointsPanel:
    """Renders an `EndpointsViewModel`: one row per endpoint, and an add/edit form."""

    def __init__(self, vm: EndpointsViewModel) -> None:
        self.vm = vm
        self.editing: str | None = None
        self.rows = ft.Column(spacing=8)
        self.name = ft.TextField(label="Name", width=140)
        self.kind = w.dropdown("Where", "cloud", ["cloud", "edge"], lambda _: None, width=120)
        self.api = w.dropdown("API", "anthropic", ["anthropic", "openai"], lambda _: None, 150)
        self.model = ft.TextField(label="Model", expand=True)
        self.base_url = ft.TextField(label="Address (empty: the provider's)", expand=True)
        self.key_env = ft.TextField(label="Key variable (optional)", width=200)
        self.price_in = ft.TextField(label="USD / Mtok in", width=130)
        self.price_out = ft.TextField(label="USD / Mtok out", width=130)
        self.mine = ft.Switch(
            label="One of my devices (an edge only: it may get what keep_mine rules keep)"
        )
        self.form_title = w.subtitle("New endpoint")
        self.form = w.card(
            self.form_title,
            w.form_row((self.name, 3), (self.kind, 2), (self.api, 2), (self.model, 5)),
            w.form_row((self.base_url, 8), (self.key_env, 4)),
            self.mine,
            ft.Row(
                [
                    self.price_in,
                    self.price_out,
                    ft.FilledButton("Save endpoint", icon=ft.Icons.SAVE, on_click=self._on_save),
                    ft.TextButton("Cancel", on_click=self._close),
                ],
                wrap=True,
            ),
        )
        self.form.visible = False
        self.root = w.card(
            ft.Row(
                [
                    w.subtitle("Off-device endpoints"),
                    ft.FilledTonalButton("Add endpoint", icon=ft.Icons.ADD, on_click=self._on_add),
                ],
                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
            ),
            w.hint("Cloud providers and your own edge servers, in order of preference."),
            self.form,
            self.rows,
        )

    def render(self) -> None:
        """Rebuild the endpoint rows from the view-model (the caller pushes the update)."""
        self.rows.controls = [self._row(r) for r in self.vm.rows()] or [
            w.hint("None yet: every turn runs on this device.")
        ]

    def _row(self, row: EndpointRow) -> ft.Control:
        key_field = ft.TextField(
            label="API key (stored in the keyring)", password=True, width=260, dense=True
        )

        def save_key() -> None:
            if self.vm.set_key(row.name, key_field.value or ""):
                key_field.value = ""

        async def test() -> None:
            await self.vm.test(row.name)

        async def remove() -> None:
            await self.vm.remove(row.name)

        result = self.vm.tests.get(row.name, "")
        return ft.Column(
            [
                ft.Row(
                    [
                        w.chip(row.kind, ft.Colors.BLUE_50),
                        ft.Text(row.name, weight=ft.FontWeight.BOLD),
                        ft.Text(f"{row.api}:{row.model}"),
                        w.hint(row.base_url),
                    ],
                    wrap=True,
                ),
                ft.Row([w.hint(f"key: {row.key}"), w.hint(row.price)], wrap=True),
                ft.Row(
                    [
                        key_field,
                        ft.TextButton("Save key", on_click=save_key),
                        ft.OutlinedButton(
                            "Test connection",
                            icon=ft.Icons.NETWORK_CHECK,
                            on_click=test,
                            disabled=row.name in self.vm.testing,
                        ),
                        icon_button(ft.Icons.EDIT, "Edit", lambda: self._edit(row.name)),
                        icon_button(ft.Icons.DELETE, "Remove", remove),
                    ],
                    wrap=True,
                ),
                ft.Text(
                    result,
                    size=12,
                    color=ft.Colors.GREEN_800 if result.startswith("ok") else ft.Colors.RED_900,
                    visible=bool(result),
                    selectable=True,
                ),
                ft.Divider(height=1),
            ],
            spacing=4,
        )

    def _fill(self, form: EndpointForm) -> None:
        self.name.value, self.model.value = form.name, form.model
        self.kind.value, self.api.value = form.kind, form.api
        self.base_url.value, self.key_env.value = form.base_url, form.api_key_env
        self.price_in.value, self.price_out.value = form.price_input, form.price_output
        self.mine.value = form.mine
        self.form.visible = True
        self.vm.on_change()

    def _on_add(self) -> None:
        self.editing = None
        self.form_title.value = "New endpoint"
        self._fill(EndpointForm())

    def _edit(self, name: str) -> None:
        self.editing = name
        self.form_title.value = f"Edit endpoint {name!r}"
        self._fill(self.vm.form_for(name))

    def _close(self) -> None:
        self.form.visible = False
        self.vm.on_change()

    async def _on_save(self) -> None:
        form = EndpointForm(
            name=self.name.value or "",
            kind=cast(Literal["cloud", "edge"], self.kind.value or "cloud"),
            api=cast(Literal["anthropic", "openai"], self.api.value or "anthropic"),
            model=self.model.value or "",
            base_url=self.base_url.value or "",
            api_key_env=self.key_env.value or "",
            price_input=self.price_in.value or "",
            price_output=self.price_out.value or "",
            mine=bool(self.mine.value),
        )
        if await self.vm.save(form, replacing=self.editing):
            self._close()
