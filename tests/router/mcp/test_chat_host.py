"""The chat's tool host reads the devices a front end lends it, at each call: sensors, camera,
and the consent every capture needs."""

from __future__ import annotations

import asyncio
import json

from mcp_servers.camera import CameraError, CaptureRequest
from mcp_servers.current_devices import CurrentCamera
from mcp_servers.sensors import HostSensors
from router.mcp.chat_host import ASSISTANT, DeviceBackends, build_chat_host
from router.mcp.host import ToolHost, ToolRequest
from router.mcp.settings import McpSettings
from router.privacy.detectors.base import FunctionDetector
from router.privacy.guard import EgressPolicy
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.types import Message, ToolCall, ToolResult, TurnRequest
from tests.mcp_servers.test_camera import FakeCamera
from tests.mcp_servers.test_sensors_backend import FakeClientSensors
from tests.router.privacy.test_scan import fake_detect

CAPTURE = ToolCall(id="c1", name="camera__capture", arguments={})
BATTERY = ToolCall(id="b1", name="sensors__battery", arguments={})


class Consent:
    """The app's dialog: answers `allow` (or not) and records who asked."""

    def __init__(self, allow: bool) -> None:
        self.allow = allow
        self.asked: list[CaptureRequest] = []

    async def __call__(self, request: CaptureRequest) -> bool:
        self.asked.append(request)
        return self.allow


def chat_host(devices: DeviceBackends, **settings: object) -> ToolHost:
    return build_chat_host(McpSettings.model_validate(settings), EgressPolicy(), devices)


async def battery(host: ToolHost) -> dict[str, object]:
    result = await host.call(BATTERY)
    assert not result.is_error, result.content
    reading: dict[str, object] = json.loads(result.content)
    return reading


async def test_sensors_set_after_the_host_is_built_are_read_and_unset_falls_back_to_the_host() -> (
    None
):
    devices = DeviceBackends()
    async with chat_host(devices) as host:
        host_reading = (await HostSensors().battery()).model_dump(mode="json")
        assert await battery(host) == host_reading
        phone = FakeClientSensors()
        devices.sensors = phone  # the app lends its phone client after the runtime exists
        reading = await battery(host)
        assert reading["source"] == "app" and reading["percent"] == 37.0
        assert phone.asked == ["battery"]
        devices.sensors = None  # the phone's page closed
        assert await battery(host) == host_reading


async def test_the_camera_is_offered_only_with_a_device_camera_and_the_setting() -> None:
    def names(host: ToolHost) -> set[str]:
        return {t.name for t in host.tools() if t.name.startswith("camera__")}

    async with chat_host(DeviceBackends()) as host:
        assert names(host) == set() and "camera" not in host.errors  # left out quietly
    lent = DeviceBackends(camera=FakeCamera(), camera_consent=Consent(True))
    async with chat_host(lent) as host:
        assert names(host) == {"camera__list", "camera__capture"}
    async with chat_host(lent, builtin=["sensors"]) as host:
        assert names(host) == set()
    assert "camera" in McpSettings().builtin  # on by default: only the app lends a camera


async def test_a_capture_asks_the_user_as_the_assistant_then_uses_the_current_camera() -> None:
    first, second, consent = FakeCamera(), FakeCamera(), Consent(True)
    devices = DeviceBackends(camera=first, camera_consent=consent)
    async with chat_host(devices) as host:
        devices.camera = second  # another page became the newest
        result = await host.call(CAPTURE.model_copy(update={"arguments": {"camera": "usb-2"}}))
        assert not result.is_error, result.content
        assert "JPEG photo" in result.content and "from the fake camera" in result.content
        assert first.captured == [] and second.captured == ["usb-2"]
        assert consent.asked == [CaptureRequest(client=ASSISTANT, camera="usb-2")]
        devices.camera = None  # every page closed
        gone = await host.call(CAPTURE)
        assert gone.is_error and "no camera the assistant may use" in gone.content
        listed = await host.call(ToolCall(id="l1", name="camera__list", arguments={}))
        assert listed.is_error and "Tandem app" in listed.content


async def test_a_refused_capture_takes_no_picture_and_says_why() -> None:
    camera, consent = FakeCamera(), Consent(False)
    async with chat_host(DeviceBackends(camera=camera, camera_consent=consent)) as host:
        result = await host.call(CAPTURE)
    assert result.is_error and "the user did not allow the camera" in result.content
    assert camera.captured == [] and len(consent.asked) == 1


async def test_without_a_consent_callback_the_camera_never_captures() -> None:
    camera = FakeCamera()
    async with chat_host(DeviceBackends(camera=camera)) as host:
        result = await host.call(CAPTURE)
    assert result.is_error and "did not allow" in result.content
    assert camera.captured == []


async def test_an_unanswered_dialog_is_a_refusal_before_the_call_times_out() -> None:
    camera = FakeCamera()

    async def never(_request: CaptureRequest) -> bool:
        await asyncio.Event().wait()
        return True

    devices = DeviceBackends(camera=camera, camera_consent=never)
    # The dialog may wait call_timeout_s - 5 s = 1.5 s, inside the 6.5 s call timeout.
    async with chat_host(devices, call_timeout_s=6.5) as host:
        result = await host.call(CAPTURE)
    assert result.is_error and "did not allow" in result.content, result.content
    assert camera.captured == []


class Dialogs:
    """Every dialog the user sees: the host's (with its reason) and the camera's own."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    async def host(self, request: ToolRequest) -> bool:
        self.shown.append(f"host: {request.name} ({request.reason})")
        return True

    async def camera(self, request: CaptureRequest) -> bool:
        self.shown.append(f"camera: {request.camera}")
        return True


FOLLOWED = "files__read(notes.txt)"


async def test_a_capture_after_untrusted_text_asks_once_and_says_why() -> None:
    camera, dialogs = FakeCamera(), Dialogs()
    host = chat_host(DeviceBackends(camera=camera, camera_consent=dialogs.camera))
    host.confirm = dialogs.host
    async with host:
        result = await host.call(CAPTURE, followed=FOLLOWED)
    assert not result.is_error, result.content
    reason = f"this request followed text from {FOLLOWED}"
    assert dialogs.shown == [f"host: camera__capture ({reason})"]
    assert camera.captured == [None]


async def test_a_capture_set_to_ask_asks_once() -> None:
    camera, dialogs = FakeCamera(), Dialogs()
    devices = DeviceBackends(camera=camera, camera_consent=dialogs.camera)
    host = chat_host(devices, builtin_permission="ask")
    host.confirm = dialogs.host
    usb = CAPTURE.model_copy(update={"arguments": {"camera": "usb-2"}})
    async with host:
        result = await host.call(usb)
    assert not result.is_error, result.content
    assert dialogs.shown == ["host: camera__capture (None)"]
    assert camera.captured == ["usb-2"]


async def test_a_capture_the_host_did_not_ask_about_still_asks_the_camera_dialog() -> None:
    camera, dialogs = FakeCamera(), Dialogs()
    host = chat_host(DeviceBackends(camera=camera, camera_consent=dialogs.camera))
    host.confirm = dialogs.host  # allowed in the settings and nothing untrusted: no host dialog
    async with host:
        result = await host.call(CAPTURE)
    assert not result.is_error, result.content
    assert dialogs.shown == ["camera: None"]


def test_a_current_camera_reports_its_current_cameras_source() -> None:
    devices = DeviceBackends()
    camera = CurrentCamera(lambda: devices.camera, lambda: CameraError("none"), "none")
    assert camera.source == "none"
    devices.camera = FakeCamera()
    assert camera.source == "fake"


def test_the_default_camera_rule_keeps_the_chat_hosts_capture_results_local() -> None:
    # Tool names are namespaced by the server name the chat host gives the camera.
    scanner = Scanner(rules=build_rules([]), detectors=[FunctionDetector(fake_detect)])
    history = [
        Message(role="assistant", content="", tool_calls=(CAPTURE,)),
        Message(
            role="user",
            content="",
            tool_results=(ToolResult(call_id="c1", content="a 64x48 JPEG photo"),),
        ),
    ]
    report = scanner.scan(TurnRequest(text="take a photo", session_id="s"), history)
    assert report.keep_local and report.reason == "carries a camera picture"
