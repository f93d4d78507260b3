"""The chat's camera photos: attached as keep-local chips; a failed capture loses nothing."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import cast

import flet as ft
import flet_camera as fc
import pytest

from app.gui.chat.attachments import AttachmentsViewModel, photo_name
from app.gui.chat.camera import ChatCamera
from app.gui.chat.view import ChatView
from app.gui.chat.view_model import ChatViewModel
from app.gui.services.camera import open_camera
from mcp_servers.camera import CameraError, CameraInfo
from router.endpoints.fake import FakeEndpoint
from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.runtime.compose import Runtime
from router.types import Finding

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
WHEN = datetime(2026, 11, 27, 14, 15, 3)


def no_findings(text: str) -> list[Finding]:
    return []


def default_scanner() -> Scanner:
    return Scanner(rules=build_rules(), detectors=[FunctionDetector(no_findings)])


class RecordingPage:
    """Stands in for a connected `ft.Page`: `render` only ever calls `update()`."""

    def update(self) -> None:
        pass


async def photo() -> bytes:
    return JPEG


async def no_camera() -> bytes:
    raise CameraError("the app's device has no camera", "connect a camera, then try again")


async def cancelled() -> None:
    return None


async def test_a_captured_photo_becomes_a_jpeg_chip_that_stays_local(tmp_path: Path) -> None:
    vm = AttachmentsViewModel(default_scanner, tmp_path)

    name = await vm.attach_photo(photo, WHEN)

    assert name == "photo-20261127-141503.jpg"
    [chip] = vm.chips
    assert chip.attachment.mime_type == "image/jpeg" and chip.attachment.size_bytes == len(JPEG)
    assert chip.verdict == "keep_local" and not chip.will_send
    assert chip.label == "photo-20261127-141503.jpg · stays local"
    assert "has an image attached" in chip.note  # the default `images` rule
    assert chip.attachment.path is not None
    assert Path(chip.attachment.path).read_bytes() == JPEG
    assert vm.error is None


async def test_two_photos_in_one_second_are_both_kept(tmp_path: Path) -> None:
    vm = AttachmentsViewModel(default_scanner, tmp_path)
    await vm.attach_photo(photo, WHEN)
    await vm.attach_photo(photo, WHEN)
    assert [c.attachment.name for c in vm.chips] == [
        "photo-20261127-141503.jpg",
        "photo-20261127-141503-2.jpg",
    ]
    assert photo_name(WHEN) == "photo-20261127-141503.jpg"


async def test_cancelling_the_preview_attaches_nothing(tmp_path: Path) -> None:
    changes: list[int] = []
    vm = AttachmentsViewModel(default_scanner, tmp_path, on_change=lambda: changes.append(1))
    assert await vm.attach_photo(cancelled, WHEN) is None
    assert vm.chips == [] and vm.error is None and changes == []
    assert not any(tmp_path.iterdir())


async def test_a_failed_capture_says_why_and_keeps_the_chips(tmp_path: Path) -> None:
    vm = AttachmentsViewModel(default_scanner, tmp_path)
    await vm.add_file("notes.txt", data=b"lunch at noon")
    before = list(vm.chips)

    assert await vm.attach_photo(no_camera, WHEN) is None

    assert vm.chips == before
    assert vm.error == (
        "No photo was taken: the app's device has no camera; connect a camera, then try again"
    )
    # The next attachment clears the message.
    await vm.attach_photo(photo, WHEN)
    assert vm.error is None and len(vm.chips) == 2


async def test_a_failed_capture_keeps_the_draft_and_shows_the_error(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ChatViewModel(runtime)
        view = ChatView(cast(ft.Page, RecordingPage()), vm)
        vm.on_change = view.render
        view.input.value = "What is on my desk?"

        await vm.attachments.attach_photo(no_camera, WHEN)

        assert view.input.value == "What is on my desk?"
        assert view.error.visible and "No photo was taken" in (view.error.value or "")
        assert "connect a camera" in (view.error.value or "")
        assert vm.messages == [] and vm.attachments.chips == [] and vm.can_send


async def test_a_question_with_a_photo_is_answered_on_the_device_because_of_it(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ChatViewModel(runtime)
        await vm.attachments.attach_photo(photo, WHEN)
        [chip] = vm.attachments.chips
        assert chip.label.endswith("· stays local")

        await vm.send("What is in this photo?")

        question, answer = vm.messages
        assert [c.label for c in question.chips] == [
            "photo-20261127-141503.jpg · stayed on this device"
        ]
        assert answer.detail is not None
        assert answer.detail.reason == "kept local: has an image attached"
        assert vm.attachments.chips == []


class BrokenCamera:
    """A flet-camera control whose browser answers with the plugin's error `code`."""

    def __init__(self, code: str) -> None:
        self.code = code

    async def get_available_cameras(self) -> list[object]:
        raise RuntimeError(f"CameraException({self.code}, the browser said no)")


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [
        ("cameraNotFound", "no camera was found on this device", "connect a camera"),
        ("CameraAccessDenied", "the browser did not allow", "site settings"),
        ("somethingElse", "the app's camera failed: CameraException(somethingElse", "allow"),
    ],
)
async def test_a_camera_failure_is_explained_in_words(code: str, message: str, hint: str) -> None:
    with pytest.raises(CameraError) as failure:
        await open_camera(cast(fc.Camera, BrokenCamera(code)))
    assert failure.value.message.startswith(message) and hint in failure.value.hint


class DesktopPage:
    """The desktop window's page: no flet-camera in its client."""

    web = False
    platform = ft.PagePlatform.LINUX


class HostCamera:
    """The host's camera (OpenCV in the app); `fail` makes it report a missing camera."""

    source = "test"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    async def list_cameras(self) -> list[CameraInfo]:
        return []

    async def capture(self, camera_id: str | None) -> bytes:
        if self.fail:
            raise CameraError("no camera on this host", "connect one")
        return JPEG


async def test_the_desktop_window_takes_the_photo_from_the_host(tmp_path: Path) -> None:
    vm = AttachmentsViewModel(default_scanner, tmp_path)
    camera = ChatCamera(cast(ft.Page, DesktopPage()), vm, HostCamera())
    assert await vm.attach_photo(camera.capture, WHEN) == "photo-20261127-141503.jpg"
    assert [c.label for c in vm.chips] == ["photo-20261127-141503.jpg · stays local"]

    broken = ChatCamera(cast(ft.Page, DesktopPage()), vm, HostCamera(fail=True))
    assert await vm.attach_photo(broken.capture, WHEN) is None
    assert vm.error == "No photo was taken: no camera on this host; connect one"
    assert len(vm.chips) == 1
