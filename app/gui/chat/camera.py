"""The chat's "Take a photo" button: a live preview, then one still attached to the question.

Pressing the button is the user's consent for their own chat, so no consent
dialog is shown; nothing is sent anywhere until they send the question, and the
privacy rules decide then (the default `images` rule keeps photos local). The
camera runs only while the preview dialog is open: closing it removes the
`flet_camera.Camera` control, which releases the camera. The desktop window has
no flet-camera, so there the press takes one still from the host through
OpenCV, without a preview.

All the decisions (naming, the chip, what a failure says) live in
`AttachmentsViewModel.attach_photo`; this module only shows the preview.
"""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft
import flet_camera as fc

from app.gui.chat.attachments import AttachmentsViewModel
from app.gui.services.camera import has_flet_camera, open_camera, take_still
from app.gui.widgets.labelled import icon_button
from mcp_servers.camera import CameraBackend
from mcp_servers.camera_opencv import OpenCvBackend

_PREVIEW_W, _PREVIEW_H = 400, 300


class ChatCamera:
    """The "Take a photo" button of one page's chat input row."""

    def __init__(
        self,
        page: ft.Page,
        attachments: AttachmentsViewModel,
        host_camera: CameraBackend | None = None,
    ) -> None:
        self.page = page
        self.attachments = attachments
        self.host_camera = host_camera or OpenCvBackend()
        """Where the desktop window's photos come from."""
        self.button = icon_button(ft.Icons.PHOTO_CAMERA_OUTLINED, "Take a photo", self._on_press)

    async def _on_press(self, _event: Any = None) -> None:
        self.button.disabled = True  # one preview at a time
        self.button.update()
        try:
            await self.attachments.attach_photo(self.capture)
        finally:
            self.button.disabled = False
            self.button.update()

    async def capture(self) -> bytes | None:
        """Show the preview until "Take photo" (the still) or "Cancel" (None).

        Raises `CameraError` when there is no camera or the browser refuses it.
        """
        if not has_flet_camera(self.page):
            return await self.host_camera.capture(None)
        choice: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def choose(taken: bool) -> Any:
            def handler(_event: Any = None) -> None:
                if not choice.done():
                    choice.set_result(taken)

            return handler

        camera = fc.Camera(width=_PREVIEW_W, height=_PREVIEW_H, preview_enabled=True)
        take = ft.FilledButton(
            "Take photo", icon=ft.Icons.CAMERA, disabled=True, on_click=choose(True)
        )
        note = ft.Text("Starting the camera…", size=12)
        dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text("Take a photo"),
            content=ft.Column([camera, note], tight=True, spacing=8, width=_PREVIEW_W),
            actions=[ft.TextButton("Cancel", on_click=choose(False)), take],
            on_dismiss=choose(False),
        )
        self.page.show_dialog(dialog)
        starting = asyncio.ensure_future(open_camera(camera))
        try:
            # The user may cancel while the browser is still starting the camera.
            either: set[asyncio.Future[Any]] = {starting, choice}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if choice.done() and not choice.result():
                return None
            await starting  # raises CameraError when the camera could not start
            take.disabled = False
            note.value = "The photo is attached to your question; nothing is sent before you send."
            dialog.update()
            if not await choice:
                return None
            return await take_still(camera)
        finally:
            if not starting.done():
                starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)  # its error was raised above
            if dialog.open:
                dialog.open = False  # closing removes the camera control: the camera stops
                dialog.update()
