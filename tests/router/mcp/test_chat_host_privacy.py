"""A photo the chat's own camera tool takes never leaves the device: the default `camera`
rule keeps the result local, through the real runtime and pipeline, down to the wire."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncGenerator, Sequence

from PIL import Image

from mcp_servers.camera import CameraInfo, CaptureRequest, as_jpeg
from router.endpoints.base import StreamEvent
from router.mcp.chat_host import ASSISTANT, DeviceBackends
from router.paths import TandemPaths
from router.privacy.guard import EgressPolicy
from router.runtime.compose import build_runtime
from router.turn.events import ToolCalled, ToolResultKeptLocal, TurnFinished
from router.turn.spotlight import data_of
from router.types import GenerationOptions, Message, ToolSpec
from tests.support.pipeline import collect
from tests.support.tool_endpoint import ToolEndpoint
from tests.support.wire import Wire

JPEG_BASE64_START = "/9j/"
"""How every base64-encoded JPEG begins (its magic bytes FF D8 FF)."""


def small_jpeg() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 90))
    for x in range(40):
        image.putpixel((x, x % 30), (255, 255, 255))  # some detail, so it is not all one colour
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


class PhoneCamera:
    """The phone's camera, as the app lends it: one real JPEG per capture."""

    source = "app"

    def __init__(self) -> None:
        self.picture = small_jpeg()
        self.captures = 0

    async def list_cameras(self) -> list[CameraInfo]:
        return [CameraInfo(id="back-0", name="Back camera", facing="back")]

    async def capture(self, camera_id: str | None) -> bytes:
        self.captures += 1
        return self.picture


class RecordingCloud(ToolEndpoint):
    """The cloud model: asks for the camera; every request goes through the egress guard
    to a mock transport that records exactly the bytes that would leave the device."""

    def __init__(self) -> None:
        super().__init__("camera__capture", name="cloud", kind="cloud", preamble="One moment.")
        self.sent: list[bytes] = []
        self._wire: Wire | None = None

    def wire(self, policy: EgressPolicy) -> None:
        self._wire = Wire(policy)
        self.sent = self._wire.sent

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        assert self._wire is not None
        body = {
            "messages": [m.model_dump(mode="json") for m in messages],
            "tools": [t.model_dump(mode="json") for t in tools],
        }
        await self._wire.post(body)
        async for event in super().stream(messages, options, tools):
            yield event

    def everything(self) -> str:
        recorded = [m.model_dump_json() for request in self.requests for m in request]
        return "\n".join(recorded) + b"".join(self.sent).decode("utf-8", "replace")


async def test_a_photo_the_chat_takes_is_answered_on_the_device_and_never_sent(
    tandem_home: TandemPaths,
) -> None:
    tandem_home.config_file.write_text(
        '[routing]\npolicy = "prefer_remote"\n'
        "[privacy]\nner = false\ntopics = false\n"
        "[memory]\nenabled = false\n"
    )
    camera = PhoneCamera()
    asked: list[CaptureRequest] = []

    async def allow(request: CaptureRequest) -> bool:
        asked.append(request)
        return True

    cloud = RecordingCloud()
    local = ToolEndpoint(None, name="local", kind="local")
    runtime = build_runtime(
        tandem_home,
        endpoints={"local": local, "cloud": cloud},
        devices=DeviceBackends(camera=camera, camera_consent=allow),
    )
    cloud.wire(runtime.pipeline.egress_policy)
    try:
        events = await collect(runtime.pipeline, "take a photo and describe it", session_id="s")
        # A later turn in the same conversation goes to the cloud without the photo turn.
        later = "thanks! and what is two plus two?"
        later_events = await collect(runtime.pipeline, later, session_id="s")
    finally:
        await runtime.aclose()

    [called] = [e for e in events if isinstance(e, ToolCalled)]
    assert called.call.name == "camera__capture" and not called.result.is_error
    assert camera.captures == 1 and [r.client for r in asked] == [ASSISTANT]
    result_text = called.result.content
    assert "40x30 JPEG photo" in result_text, result_text
    kept = next(e for e in events if isinstance(e, ToolResultKeptLocal))
    assert kept.decision.endpoint == "local" and kept.reason == "carries a camera picture"
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.status == "complete"
    route = finished.turn.route
    assert route is not None and route.endpoint == "local" and route.privacy_action == "keep_local"
    # The device read the result and answered with it.
    assert data_of(local.requests[-1][-1].tool_results[0].content) == result_text
    assert "40x30 JPEG photo" in finished.turn.answer

    later_finished = later_events[-1]
    assert isinstance(later_finished, TurnFinished)
    assert later_finished.turn.route is not None
    assert later_finished.turn.route.endpoint == "cloud"  # the cloud was really asked again

    # Nothing of the photo, nor of its result, in anything the cloud received.
    wire = cloud.everything()
    assert len(cloud.sent) == 2  # the first turn's request that called the tool, the later turn
    sent_jpeg, _, _ = as_jpeg(camera.picture, 1920)  # what the camera server returned
    for secret in (
        base64.b64encode(camera.picture).decode(),
        base64.b64encode(sent_jpeg).decode(),
        JPEG_BASE64_START,
        result_text,
        "JPEG photo",
        "40x30",
        "image/jpeg",
    ):
        assert secret not in wire, secret
