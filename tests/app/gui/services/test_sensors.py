"""The app client's sensors: Flet's answers mapped to typed readings, host fallback, wiring."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from app.gui.services.mcp_server import AppMcpService
from app.gui.services.sensors import AppSensors, PageSensors, SensorStream
from mcp_servers.sensors import HostSensors
from mcp_servers.sensors_models import Battery, Connectivity, Location
from router.endpoints.fake import FakeEndpoint
from tests.app.conftest import RuntimeFactory
from tests.app.gui.services.test_mcp_server import call
from tests.mcp_servers.test_sensors_backend import FakeClientSensors


class FakeBatteryService:
    """Flet's Battery service as a client answers it."""

    def __init__(self, level: int | None, state: ft.BatteryState = ft.BatteryState.UNKNOWN) -> None:
        self.level, self.state = level, state

    async def get_battery_level(self) -> int | None:
        return self.level

    async def get_battery_state(self) -> ft.BatteryState:
        return self.state


class BrokenService:
    """A client whose method calls fail."""

    async def get_battery_level(self) -> int | None:
        raise RuntimeError("Battery Control must be added to the page first")

    async def get_connectivity(self) -> list[ft.ConnectivityType]:
        raise RuntimeError("no client")


class FakeSensorService:
    """A motion sensor service: once switched on, the client sends `sample` (or an error)."""

    def __init__(self, stream: SensorStream, sample: Any = None, error: str | None = None) -> None:
        self.stream, self.sample, self.error = stream, sample, error
        self.enabled = False
        self.switched: list[bool] = []

    def update(self) -> None:
        self.switched.append(self.enabled)
        if self.enabled and self.error is not None:
            event = SimpleNamespace(message=self.error)
            asyncio.get_running_loop().call_soon(self.stream.on_error, event)
        elif self.enabled and self.sample is not None:
            asyncio.get_running_loop().call_soon(self.stream.on_reading, self.sample)


def page_sensors(
    platform: ft.PagePlatform = ft.PagePlatform.LINUX, web: bool = True
) -> PageSensors:
    # Outside a page's context Flet's services are built but not registered anywhere.
    page: Any = SimpleNamespace(web=web, platform=platform)
    return PageSensors(page, with_location=False)


async def test_a_client_battery_reading_is_mapped() -> None:
    sensors = page_sensors()
    sensors.battery = FakeBatteryService(55, ft.BatteryState.CHARGING)  # type: ignore[assignment]
    battery = await sensors.read_battery()
    assert (battery.available, battery.percent, battery.plugged_in) == (True, 55.0, True)
    assert (battery.state, battery.source) == ("charging", "app")


@pytest.mark.parametrize("level", [None, -1])
async def test_a_client_without_a_battery_says_so(level: int | None) -> None:
    sensors = page_sensors()
    sensors.battery = FakeBatteryService(level)  # type: ignore[assignment]
    battery = await sensors.read_battery()
    assert not battery.available and battery.percent is None
    assert battery.reason == "the web browser does not report a battery"


async def test_a_failing_client_gives_a_reason_or_no_reading() -> None:
    sensors = page_sensors()
    sensors.battery = BrokenService()  # type: ignore[assignment]
    sensors.connectivity = BrokenService()  # type: ignore[assignment]
    battery = await sensors.read_battery()
    assert not battery.available and "must be added to the page" in battery.reason
    assert await sensors.read_connectivity() is None


async def test_motion_sensors_are_switched_on_for_one_sample_only() -> None:
    sensors = page_sensors()
    sample = SimpleNamespace(x=0.5, y=-0.25, z=9.81, timestamp=None)
    accel = FakeSensorService(sensors.accelerometer, sample=sample)
    gyro = FakeSensorService(sensors.gyroscope, error="NotReadableError")
    sensors.accelerometer.service, sensors.gyroscope.service = accel, gyro
    motion = await sensors.read_motion()
    assert (motion.accelerometer.x, motion.accelerometer.z) == (0.5, 9.81)
    assert not motion.gyroscope.available
    assert motion.gyroscope.reason == "the app's gyroscope failed: NotReadableError"
    assert "only in the Android or iOS app, not in a web browser" in motion.barometer.reason
    assert accel.switched == [True, False] and gyro.switched == [True, False]
    assert not accel.enabled


async def test_a_sensor_that_sends_nothing_is_switched_off_with_a_reason() -> None:
    stream = SensorStream("accelerometer", "unsupported")
    silent = FakeSensorService(stream)
    stream.service = silent
    sample, reason = await stream.fresh_sample(wait_s=0.05)
    assert sample is None and reason.startswith("no accelerometer reading within 0.05 s")
    assert silent.switched == [True, False]


def test_a_desktop_window_has_no_motion_services() -> None:
    sensors = page_sensors(ft.PagePlatform.LINUX, web=False)
    assert sensors.accelerometer.service is None and sensors.barometer.service is None
    assert sensors.geolocator is None  # location is off: no geolocator on the page
    phone = page_sensors(ft.PagePlatform.ANDROID, web=False)
    assert isinstance(phone.barometer.service, ft.Barometer)


class NoBatteryHost(HostSensors):
    async def battery(self) -> Battery:
        return Battery(available=False, reason="this machine has no battery sensor")


class LaptopHost(HostSensors):
    async def battery(self) -> Battery:
        return Battery(available=True, percent=12.0)

    async def connectivity(self) -> Connectivity:
        return Connectivity(online=True, interfaces_up=["wlan0"])


async def test_the_client_is_preferred_and_the_host_fills_in() -> None:
    app = AppSensors(fallback=LaptopHost())
    assert (await app.battery()).percent == 12.0  # no page open: the host
    without = page_sensors()
    without.battery = FakeBatteryService(None)  # type: ignore[assignment]
    without.connectivity = BrokenService()  # type: ignore[assignment]
    app.add(without)
    assert (await app.battery()).percent == 12.0  # the client has none: the host's
    assert (await app.connectivity()).interfaces_up == ["wlan0"]
    with_battery = page_sensors()
    with_battery.battery = FakeBatteryService(80, ft.BatteryState.FULL)  # type: ignore[assignment]
    app.add(with_battery)
    assert (await app.battery()).source == "app"
    app.remove(with_battery)
    assert (await app.battery()).source == "host"

    neither = AppSensors(fallback=NoBatteryHost())
    neither.add(without)
    assert (await neither.battery()).reason == "the web browser does not report a battery"


async def test_location_on_a_page_opened_before_it_was_enabled() -> None:
    app = AppSensors()
    app.add(page_sensors())
    location = await app.location()
    assert location == Location(
        available=False,
        source="app",
        reason="location was turned on after this page opened; reload the page",
    )


async def test_the_app_service_serves_its_sensors_backend(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService(runtime)
        await service.start(0)
        try:
            url = service.url
            assert url is not None
            host = await call(url, service.token, "sensors_battery", {})
            assert host.structured_content is not None
            assert host.structured_content["source"] == "host"
            service.sensors_backend = FakeClientSensors()  # a page attached after the start
            app = await call(url, service.token, "sensors_battery", {})
            assert app.structured_content is not None
            assert (app.structured_content["percent"], app.structured_content["source"]) == (
                37.0,
                "app",
            )
        finally:
            await service.stop()


async def test_the_page_that_sent_last_is_read_not_the_one_that_opened_last(
    fake_runtime: RuntimeFactory,
) -> None:
    phone, desktop = page_sensors(), page_sensors()
    phone.battery = FakeBatteryService(23, ft.BatteryState.DISCHARGING)  # type: ignore[assignment]
    desktop.battery = FakeBatteryService(97, ft.BatteryState.CHARGING)  # type: ignore[assignment]
    async with fake_runtime(FakeEndpoint()) as runtime:
        service = AppMcpService(runtime)
        app = AppSensors(fallback=NoBatteryHost())
        service.sensors_backend = app
        app.add(phone)
        app.add(desktop)  # the desktop's tab opened after the phone paired
        assert (await app.battery()).percent == 97.0

        service.page_active(phone.page)  # the phone's user sends a message

        assert (await app.battery()).percent == 23.0
        service.page_active(desktop.page)
        assert (await app.battery()).percent == 97.0
