"""The app's camera for the camera MCP server, and the consent dialog, set up on each page.

`attach_camera(page, service)` (called once per page from app/gui/main.py) makes
that page's client a camera source and shows consent requests on it. A capture
briefly adds a `flet_camera.Camera` control to the page's overlay (a small live
preview in a corner, so the user sees the camera is on), takes one still and
removes it again: the camera is never left running.

`flet-camera` works in the browser and on Android/iOS; in the desktop window
(no camera support there) pictures come from the host through OpenCV instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import flet as ft
import flet_camera as fc

from app.gui.services.consent_dialog import ConsentDialog
from app.gui.widgets.page_events import chain_page_event
from mcp_servers.camera import CameraBackend, CameraError, CameraInfo, Facing
from mcp_servers.camera_opencv import OpenCvBackend

if TYPE_CHECKING:
    from app.gui.services.mcp_server import AppMcpService

CAPTURE_TIMEOUT_S = 30.0
"""Starting a camera can wait on the browser; past this the capture fails cleanly."""
_FACING: dict[fc.CameraLensDirection, Facing] = {
    fc.CameraLensDirection.FRONT: "front",
    fc.CameraLensDirection.BACK: "back",
    fc.CameraLensDirection.EXTERNAL: "external",
}


class AppCameras:
    """A `CameraBackend` over the app's open pages: the newest page that can capture is used."""

    source = "app"

    def __init__(self, fallback: CameraBackend | None = None) -> None:
        self._pages: list[ft.Page] = []
        self._fallback = fallback or OpenCvBackend()
        self._lock = asyncio.Lock()  # one capture at a time: a page has one camera control

    def add_page(self, page: ft.Page) -> None:
        """Use `page`'s client for captures (the newest page wins)."""
        if page not in self._pages:
            self._pages.append(page)

    def prefer(self, page: ft.Page) -> None:
        """Use `page` first from now on: its user just sent a message (see `page_active`)."""
        if page in self._pages:
            self._pages.remove(page)
            self._pages.append(page)

    def remove_page(self, page: ft.Page) -> None:
        """Stop using `page` (it closed)."""
        if page in self._pages:
            self._pages.remove(page)

    async def list_cameras(self) -> list[CameraInfo]:
        """The cameras of the page's client (or of the host, in the desktop window).

        Browsers name cameras only to pages allowed to use them, so this may ask
        the browser for camera access (no picture is taken).
        """
        page = self._page()
        if page is None:
            return await self._fallback.list_cameras()
        async with self._lock, _camera_on(page) as camera:
            return [_info(d) for d in await camera.get_available_cameras()]

    async def capture(self, camera_id: str | None) -> bytes:
        """One still from the page's camera (the first one unless `camera_id` names another)."""
        page = self._page()
        if page is None:
            return await self._fallback.capture(camera_id)
        async with self._lock, _camera_on(page, preview=True) as camera:
            await open_camera(camera, camera_id)
            return await take_still(camera)

    def _page(self) -> ft.Page | None:
        """The newest page whose client has flet-camera; None means use the host."""
        for page in reversed(self._pages):
            if has_flet_camera(page):
                return page
        return None


def has_flet_camera(page: ft.Page) -> bool:
    """True when `page`'s client can run flet-camera (a browser, Android, iOS)."""
    return bool(page.web) or page.platform in (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS)


async def open_camera(camera: fc.Camera, camera_id: str | None = None) -> None:
    """Start `camera` (a `flet_camera.Camera` already on the page) on a device.

    The first camera is used unless `camera_id` names another. Raises
    `CameraError` with a hint when there is none, the browser refuses, or it
    takes longer than `CAPTURE_TIMEOUT_S`. Shared by MCP captures and the chat.
    """
    async with _camera_errors():
        cameras = await camera.get_available_cameras()
        chosen = _choose(cameras, camera_id)
        await camera.initialize(chosen, fc.ResolutionPreset.HIGH, enable_audio=False)


async def take_still(camera: fc.Camera) -> bytes:
    """One encoded still (JPEG in a browser) from a camera `open_camera` started."""
    async with _camera_errors():
        data = await camera.take_picture()
    if not data:
        raise CameraError("the app's camera returned an empty picture", "try again")
    return bytes(data)


@contextlib.asynccontextmanager
async def _camera_errors() -> AsyncIterator[None]:
    """Turn a stuck or failing flet-camera call into a `CameraError` that says what to do."""
    try:
        async with asyncio.timeout(CAPTURE_TIMEOUT_S):
            yield
    except TimeoutError:
        raise CameraError(
            f"the camera did not deliver a picture within {CAPTURE_TIMEOUT_S:g} s",
            "check that the browser may use the camera and no other program holds it",
        ) from None
    except CameraError:
        raise
    except Exception as exc:
        raise _explained(exc) from exc


def _explained(exc: Exception) -> CameraError:
    """A `CameraError` for a flet-camera failure, in words where the plugin's code is known."""
    code = str(exc).lower()
    if "notfound" in code:  # e.g. CameraException(cameraNotFound, …) in a browser
        return CameraError(
            "no camera was found on this device",
            "connect a camera (or close the program that holds it), then try again",
        )
    if "denied" in code or "permission" in code or "notallowed" in code:
        return CameraError(
            "the browser did not allow this page to use the camera",
            "allow the camera in the browser's site settings (the icon left of the address), "
            "then try again",
        )
    return CameraError(
        f"the app's camera failed: {exc}",
        "allow camera access for this page in the browser, then try again",
    )


@contextlib.asynccontextmanager
async def _camera_on(page: ft.Page, *, preview: bool = False) -> Any:
    camera = fc.Camera(
        width=240 if preview else 1,
        height=180 if preview else 1,
        right=16,
        bottom=16,
        preview_enabled=preview,
    )
    page.overlay.append(camera)
    page.update()
    try:
        yield camera
    finally:
        # Removing the control disposes its controller, which releases the camera.
        page.overlay.remove(camera)
        page.update()


def _choose(cameras: list[fc.CameraDescription], camera_id: str | None) -> fc.CameraDescription:
    if not cameras:
        raise CameraError(
            "the app's device has no camera",
            "connect a camera, or allow this page to use it in the browser's site settings",
        )
    if camera_id is None:
        return cameras[0]
    for description in cameras:
        if description.name == camera_id:
            return description
    raise CameraError(f"there is no camera {camera_id!r}", "use an id that camera_list returns")


def _info(description: fc.CameraDescription) -> CameraInfo:
    facing = _FACING.get(description.lens_direction, "unknown")
    return CameraInfo(id=description.name, name=description.name, facing=facing)


async def attach_camera(page: ft.Page, service: AppMcpService) -> None:
    """Make `page` a camera source and a consent dialog for `service` (once per page).

    Also starts the service if the app was launched with `--mcp-port` and it is
    not running yet.
    """
    cameras = service.camera_backend
    if not isinstance(cameras, AppCameras):
        cameras = AppCameras()
        service.camera_backend = cameras
    cameras.add_page(page)
    dialog = ConsentDialog(page, service.broker)
    dialog.attach()

    def closed(_event: object = None) -> None:
        cameras.remove_page(page)
        dialog.detach()

    chain_page_event(page, "on_disconnect", closed)
    chain_page_event(page, "on_close", closed)
    await service.page_attached()
