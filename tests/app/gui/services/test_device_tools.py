"""The chat's own tools use the device the app's page runs on: the phone's sensors, and its
camera after the user allows each capture in the app's consent dialog."""

from __future__ import annotations

import json

import flet as ft

from app.gui.services.mcp_server import AppMcpService
from app.gui.services.sensors import AppSensors
from mcp_servers.sensors import HostSensors
from router.mcp.chat_host import ASSISTANT
from router.runtime.compose import Runtime
from router.turn.events import ToolCalled, TurnFinished
from router.types import ToolCall, TurnRequest
from tests.app.conftest import RuntimeFactory
from tests.app.gui.services.test_mcp_server import AutoAnswer
from tests.app.gui.services.test_sensors import FakeBatteryService, page_sensors
from tests.mcp_servers.test_camera import FakeCamera
from tests.support.tool_endpoint import ToolEndpoint


def local_model(tool: str) -> ToolEndpoint:
    """The on-device model: calls `tool` when offered it, then says what it returned."""
    return ToolEndpoint(tool, name="local", kind="local", preamble="")


async def ask(runtime: Runtime, text: str) -> tuple[list[ToolCalled], str]:
    events = [e async for e in runtime.pipeline.run_turn(TurnRequest(text=text, session_id="s"))]
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    return [e for e in events if isinstance(e, ToolCalled)], finished.turn.answer


async def test_the_chat_reads_the_battery_of_the_phone_the_page_runs_on(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_model("sensors__battery")) as runtime:
        service = AppMcpService(runtime)
        phone = page_sensors(ft.PagePlatform.ANDROID, web=False)
        phone.battery = FakeBatteryService(81, ft.BatteryState.DISCHARGING)  # type: ignore[assignment]
        sensors = AppSensors(fallback=HostSensors())
        sensors.add(phone)
        service.sensors_backend = sensors  # what attach_sensors does when the phone's page opens

        [called], answer = await ask(runtime, "what is my battery level?")
        assert called.call.name == "sensors__battery" and not called.result.is_error
        reading = json.loads(called.result.content)
        assert (reading["percent"], reading["source"]) == (81.0, "app")
        assert answer == f"the tool said: {called.result.content}"

        sensors.remove(phone)  # the page closed: the host answers again
        [called], _ = await ask(runtime, "what is my battery level now?")
        assert json.loads(called.result.content)["source"] == "host"


async def test_a_photo_the_chat_asks_for_goes_through_the_apps_dialog_as_the_assistant(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_model("camera__capture")) as runtime:
        service = AppMcpService(runtime)
        camera = FakeCamera()
        service.camera_backend = camera  # what attach_camera does when a page opens
        dialog = AutoAnswer(service.broker, "allow")

        [called], answer = await ask(runtime, "take a photo and describe it")
        assert not called.result.is_error, called.result.content
        assert camera.captured == [None] and "JPEG photo" in answer
        [question] = dialog.questions
        assert (question.kind, question.client) == ("camera", ASSISTANT)
        assert question.question == "Tandem's assistant wants to take a photo with your camera."


async def test_when_the_user_says_no_the_chat_takes_no_photo_and_is_told_why(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_model("camera__capture")) as runtime:
        service = AppMcpService(runtime)
        camera = FakeCamera()
        service.camera_backend = camera
        dialog = AutoAnswer(service.broker, "deny")

        [called], answer = await ask(runtime, "take a photo and describe it")
        assert called.result.is_error and "the user did not allow the camera" in answer
        assert camera.captured == [] and len(dialog.questions) == 1


async def test_without_an_open_page_the_chat_camera_is_refused_and_nothing_is_captured(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_model("camera__capture")) as runtime:
        service = AppMcpService(runtime)
        host = runtime.pipeline.tools
        assert host is not None
        await host.ensure_started()
        capture = ToolCall(id="c1", name="camera__capture", arguments={})
        # No dialog listens: refused at once, before the camera is even looked up.
        refused = await host.call(capture)
        assert refused.is_error and "did not allow" in refused.content
        AutoAnswer(service.broker, "allow")
        no_window = await host.call(capture)
        assert no_window.is_error and "no open window" in no_window.content


async def test_the_service_lends_the_runtime_its_devices_and_the_camera_server(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_model("camera__capture")) as runtime:
        before = runtime.pipeline.tools
        assert before is not None and runtime.devices.camera is None
        service = AppMcpService(runtime)
        devices = runtime.devices
        assert devices.sensors is not None and devices.camera is not None
        assert devices.camera_consent is not None
        host = runtime.pipeline.tools
        assert host is not None and host is not before  # rebuilt before anything connected
        assert host.confirm is not None  # `ask` tools still go to the dialog
        await host.ensure_started()
        assert {"camera__list", "camera__capture"} <= {t.name for t in host.tools()}
        # A second service for the same runtime keeps the host it has.
        AppMcpService(runtime)
        assert runtime.pipeline.tools is host
        assert service.servers == ("camera", "sensors", "assistant")
