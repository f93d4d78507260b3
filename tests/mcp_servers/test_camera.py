"""The camera server through an in-process Client: listing, consent in all its forms, JPEGs."""

from __future__ import annotations

import asyncio
import base64
import io
import sys
from typing import Any

import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp_types import (
    CallToolResult,
    ElicitRequestParams,
    ElicitResult,
    ImageContent,
    Implementation,
)
from PIL import Image

from mcp_servers.camera import (
    JPEG_MAGIC,
    CameraConfig,
    CameraError,
    CameraInfo,
    CaptureRequest,
    as_jpeg,
    build_camera_server,
)
from mcp_servers.camera_opencv import OpenCvBackend
from mcp_servers.serve import SERVER_NAMES, ServeOptions, build_server, parse_servers

CLIENT = Implementation(name="photo-client", version="2.0")


def png_bytes(size: tuple[int, int] = (64, 48), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (10, 200, 30))
    out = io.BytesIO()
    if exif:
        meta = Image.Exif()
        meta[0x010F] = "SecretCam"  # Make
        image.save(out, format="JPEG", exif=meta)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


class FakeCamera:
    """Two cameras; returns a PNG (the server must turn it into a JPEG)."""

    source = "fake"

    def __init__(self, picture: bytes | None = None, error: CameraError | None = None) -> None:
        self.picture = picture or png_bytes()
        self.error = error
        self.captured: list[str | None] = []

    async def list_cameras(self) -> list[CameraInfo]:
        return [
            CameraInfo(id="front-1", name="Front camera", facing="front"),
            CameraInfo(id="usb-2", name="USB webcam", facing="external"),
        ]

    async def capture(self, camera_id: str | None) -> bytes:
        if self.error is not None:
            raise self.error
        self.captured.append(camera_id)
        return self.picture


class Consent:
    """Records who asked; answers with `allow`."""

    def __init__(self, allow: bool) -> None:
        self.allow = allow
        self.asked: list[CaptureRequest] = []

    async def __call__(self, request: CaptureRequest) -> bool:
        self.asked.append(request)
        return self.allow


async def call(config: CameraConfig, args: dict[str, Any] | None = None, **client: Any) -> Any:
    async with Client(build_camera_server(config), client_info=CLIENT, **client) as session:
        return await session.call_tool("camera_capture", args or {})


def only_image(result: CallToolResult) -> bytes:
    images = [b for b in result.content if isinstance(b, ImageContent)]
    assert len(images) == 1 and images[0].mime_type == "image/jpeg"
    return base64.b64decode(images[0].data)


def text_of(result: CallToolResult) -> str:
    return " ".join(getattr(b, "text", "") for b in result.content)


async def test_list_names_the_cameras_and_the_source() -> None:
    async with Client(build_camera_server(CameraConfig(backend=FakeCamera()))) as session:
        result = await session.call_tool("camera_list", {})
    assert not result.is_error
    assert result.structured_content == {
        "source": "fake",
        "cameras": [
            {"id": "front-1", "name": "Front camera", "facing": "front"},
            {"id": "usb-2", "name": "USB webcam", "facing": "external"},
        ],
    }


async def test_allowed_capture_returns_a_jpeg_and_the_dialog_names_the_client() -> None:
    camera, consent = FakeCamera(), Consent(allow=True)
    result = await call(CameraConfig(backend=camera, consent=consent), {"camera": "usb-2"})

    assert not result.is_error
    jpeg = only_image(result)
    assert jpeg.startswith(JPEG_MAGIC)
    assert Image.open(io.BytesIO(jpeg)).size == (64, 48)
    assert "64x48 JPEG" in text_of(result)
    assert consent.asked == [CaptureRequest(client="photo-client 2.0", camera="usb-2")]
    assert camera.captured == ["usb-2"]


async def test_refused_capture_takes_no_photo() -> None:
    camera = FakeCamera()
    result = await call(CameraConfig(backend=camera, consent=Consent(allow=False)))
    assert result.is_error
    assert "did not allow the camera" in text_of(result)
    assert not [b for b in result.content if isinstance(b, ImageContent)]
    assert camera.captured == []


async def test_unanswered_dialog_is_a_refusal() -> None:
    never = asyncio.Event()

    async def waits_forever(_request: CaptureRequest) -> bool:
        await never.wait()
        return True

    camera = FakeCamera()
    config = CameraConfig(backend=camera, consent=waits_forever, consent_timeout_s=0.05)
    result = await call(config)
    assert result.is_error and camera.captured == []


async def test_a_failing_dialog_is_a_refusal() -> None:
    async def broken(_request: CaptureRequest) -> bool:
        raise RuntimeError("the page went away")

    camera = FakeCamera()
    result = await call(CameraConfig(backend=camera, consent=broken))
    assert result.is_error and camera.captured == []


async def test_without_an_app_the_client_is_asked_by_elicitation() -> None:
    questions: list[str] = []

    def answering(accept: bool) -> Any:
        async def on_elicit(
            _ctx: ClientRequestContext, params: ElicitRequestParams
        ) -> ElicitResult:
            questions.append(params.message)
            return ElicitResult(action="accept", content={"approve": accept})

        return on_elicit

    camera = FakeCamera()
    allowed = await call(CameraConfig(backend=camera), elicitation_callback=answering(True))
    refused = await call(CameraConfig(backend=camera), elicitation_callback=answering(False))

    assert only_image(allowed).startswith(JPEG_MAGIC)
    assert refused.is_error
    assert camera.captured == [None]
    assert questions == ["photo-client 2.0 wants to take a photo. Allow it?"] * 2


async def test_nobody_to_ask_means_refused() -> None:
    camera = FakeCamera()
    result = await call(CameraConfig(backend=camera))  # no app dialog, client cannot elicit
    assert result.is_error and camera.captured == []
    no_elicit = await call(
        CameraConfig(backend=camera, elicit=False),
        elicitation_callback=lambda *_: pytest.fail("elicitation is switched off"),
    )
    assert no_elicit.is_error and camera.captured == []


async def test_camera_errors_reach_the_client_as_clear_text() -> None:
    error = CameraError("the app's device has no camera", "connect a camera")
    result = await call(CameraConfig(backend=FakeCamera(error=error), consent=Consent(True)))
    assert result.is_error
    assert "the app's device has no camera; connect a camera" in text_of(result)


def test_pictures_are_reencoded_without_metadata_and_scaled_down() -> None:
    jpeg, width, height = as_jpeg(png_bytes((400, 100), exif=True), max_side=200)
    image = Image.open(io.BytesIO(jpeg))
    assert (image.format, width, height, image.size) == ("JPEG", 200, 50, (200, 50))
    assert b"SecretCam" not in jpeg and not image.getexif()
    with pytest.raises(CameraError, match="not an image"):
        as_jpeg(b"<html>not a picture</html>", 200)


async def test_opencv_without_a_camera_gives_a_clear_error() -> None:
    backend = OpenCvBackend(indexes=[99])  # no machine has video device 99
    assert await backend.list_cameras() == []
    result = await call(CameraConfig(backend=backend, consent=Consent(True)))
    assert result.is_error
    message = text_of(result)
    assert "no camera could be opened (tried video device 99)" in message
    assert "run the Tandem app" in message


async def test_opencv_missing_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # as without the `camera` extra
    result = await call(CameraConfig(backend=OpenCvBackend(indexes=[0]), consent=Consent(True)))
    assert result.is_error
    message = text_of(result)
    assert "needs OpenCV, which is not installed" in message
    assert "'.[camera]'" in message


async def test_opencv_with_no_video_devices_says_so() -> None:
    result = await call(CameraConfig(backend=OpenCvBackend(indexes=[]), consent=Consent(True)))
    assert result.is_error
    assert "no camera found on this device" in text_of(result)


async def test_serve_includes_the_camera_with_the_host_backend() -> None:
    assert "camera" in SERVER_NAMES
    assert "camera" in parse_servers(None, have_roots=False)
    assert parse_servers("camera", have_roots=False) == ("camera",)
    server, tools = build_server(ServeOptions(servers=("camera",)))
    assert tools == ["camera_list", "camera_capture"]
    async with Client(server) as session:
        listed = {tool.name for tool in (await session.list_tools()).tools}
    assert listed == {"camera_list", "camera_capture"}
