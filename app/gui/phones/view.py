"""The Phones section: the switch that serves Tandem over HTTPS on the LAN, the pairing QR
code, code, address and certificate fingerprint, and the paired devices with Revoke.
Renders `PhonesViewModel`."""

from __future__ import annotations

from typing import Any

import flet as ft

from app.gui.phones.lan_api import lan_service_for
from app.gui.phones.view_model import DeviceRow, PhonesViewModel
from app.gui.widgets import settings as w
from app.gui.widgets.page_events import chain_page_event
from router import Runtime

SCAN_HINT = "Scan the QR code with your phone's camera, or open the address and type the code."
FINGERPRINT_HINT = "Check that it matches the fingerprint your phone shows before you pair."


def _mono(size: int = 14) -> ft.Text:
    return ft.Text(selectable=True, font_family="monospace", size=size)


class PhonesView:
    """The controls of the Phones section for one page."""

    def __init__(self, page: ft.Page, vm: PhonesViewModel) -> None:
        self.page = page
        self.vm = vm
        self.notice, self.error = w.message_line()
        self.switch = ft.Switch(label="Serve on your network (HTTPS)", on_change=self._toggle)
        self.progress = ft.ProgressBar(visible=False)
        self.qr = ft.Image(src=b"", width=240, height=240, visible=False)
        self.code = _mono(20)
        self.new_code_button = ft.OutlinedButton(
            "New code", icon=ft.Icons.REFRESH, on_click=self._new_code
        )
        self.url = _mono()
        self.fingerprint = _mono(12)
        self.pairing = ft.Column(self._pairing_controls(), spacing=8, visible=False)
        self.device_list = ft.Column(spacing=4)
        self.dialog: ft.AlertDialog | None = None
        self.root = w.scrolling(
            w.title("Phones"),
            self.notice,
            self.error,
            w.card(
                w.subtitle("Serve on your network"),
                w.hint(
                    "Let your phone use this Tandem over your home or office network. "
                    "Only phones you pair can open it."
                ),
                self.switch,
                self.progress,
                self.pairing,
            ),
            w.card(w.subtitle("Paired devices"), self.device_list),
            shown=vm.refresh,  # "last seen" moves on while the section is hidden
        )

    def _pairing_controls(self) -> list[ft.Control]:
        return [
            w.hint(SCAN_HINT),
            self.qr,
            ft.Row([ft.Text("Code:", weight=ft.FontWeight.BOLD), self.code], wrap=True),
            self.new_code_button,
            ft.Row([ft.Text("Address:", weight=ft.FontWeight.BOLD), self.url], wrap=True),
            ft.Row(
                [ft.Text("Certificate:", weight=ft.FontWeight.BOLD), self.fingerprint], wrap=True
            ),
            w.hint(FINGERPRINT_HINT),
        ]

    def render(self) -> None:
        """Bring the controls in line with the view-model and push them to the browser."""
        vm = self.vm
        w.show_messages(self.notice, self.error, vm.outcome.notice, vm.error)
        self.switch.value = vm.serving
        self.switch.disabled = vm.busy
        self.progress.visible = vm.busy
        self.pairing.visible = vm.serving
        self.qr.src = vm.qr_png or b""
        self.qr.visible = vm.qr_png is not None
        self.code.value = vm.code_line()
        self.url.value = vm.url
        self.fingerprint.value = vm.fingerprint
        self.device_list.controls = [self._device_row(d) for d in vm.devices] or [
            w.hint("No phone paired yet. Switch serving on and scan the code with your phone.")
        ]
        self._sync_dialog()
        w.refresh(self.root)

    def render_soon(self) -> None:
        """Render on the page's loop: the service may report a change from another thread."""

        async def render() -> None:
            self.render()

        self.page.run_task(render)

    def _device_row(self, device: DeviceRow) -> ft.Control:
        details = f"{device.paired} · {'revoked' if device.revoked else device.last_seen}"
        revoke = ft.TextButton(
            "Revoke",
            icon=ft.Icons.BLOCK,
            on_click=lambda _: self.vm.ask_revoke(device.device_id),
            visible=not device.revoked,
        )
        return ft.Row(
            [
                ft.Icon(ft.Icons.SMARTPHONE),
                ft.Column(
                    [ft.Text(device.name, weight=ft.FontWeight.BOLD), w.hint(details)],
                    spacing=0,
                    expand=True,
                ),
                revoke,
            ],
            opacity=0.5 if device.revoked else 1.0,
        )

    def _sync_dialog(self) -> None:
        """Show the revoke confirmation while the view-model waits for one, else close it."""
        confirming = self.vm.confirming
        if confirming is None and self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.open = False
            w.refresh(dialog)
        elif confirming is not None and self.dialog is None:
            self.dialog = self._revoke_dialog(confirming)
            self.page.show_dialog(self.dialog)

    def _revoke_dialog(self, device: DeviceRow) -> ft.AlertDialog:
        return ft.AlertDialog(
            modal=True,
            title=ft.Text(f"Revoke {device.name}?"),
            content=ft.Text(
                "It can no longer reach this Tandem; to use it again, pair it again.", width=420
            ),
            actions=[
                ft.TextButton("Cancel", on_click=lambda _: self.vm.cancel_revoke()),
                ft.FilledButton("Revoke", on_click=lambda _: self.vm.confirm_revoke()),
            ],
            on_dismiss=lambda _: self.vm.cancel_revoke() if self.vm.confirming else None,
        )

    async def _toggle(self, e: ft.Event[ft.Switch]) -> None:
        await self.vm.set_serving(bool(e.control.value))

    def _new_code(self, _: Any) -> None:
        self.vm.new_code()


def build_phones_view(page: ft.Page, runtime: Runtime) -> ft.Control:
    """Return the Phones section for `page`, following the runtime's LAN service until the
    page closes."""
    vm = PhonesViewModel(lan_service_for(runtime))
    view = PhonesView(page, vm)
    vm.on_change = view.render_soon

    def closed(_event: object = None) -> None:
        vm.close()

    chain_page_event(page, "on_disconnect", closed)
    chain_page_event(page, "on_close", closed)
    vm.open()
    return view.root
