"""The app client's sensors for the sensors MCP server, set up on each page.

`attach_sensors(page, service)` (called once per page from app/gui/main.py)
adds Flet's `Battery` and `Connectivity` services to the page, the motion
sensors its client supports (`Accelerometer`, `Gyroscope` in a browser or on
Android/iOS; `Barometer` on Android/iOS only) and, only when the user enabled
location (`[mcp] location_enabled`), `flet_geolocator.Geolocator`.

Motion sensors are switched on only while a tool call waits for a sample, so an
open page streams nothing. With no page open, readings come from the host.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flet as ft
import flet_geolocator as fgl

from app.gui.widgets.page_events import chain_page_event
from mcp_servers.sensors import HostSensors, SensorsBackend
from mcp_servers.sensors_models import (
    AxesReading,
    Battery,
    Connectivity,
    Location,
    Motion,
    PressureReading,
)

if TYPE_CHECKING:
    from app.gui.services.mcp_server import AppMcpService

READ_TIMEOUT_S = 10.0
"""A client that does not answer a battery or connectivity query by then is skipped."""
SAMPLE_WAIT_S = 3.0
"""How long a switched-on motion sensor may take to deliver its first sample."""
LOCATION_TIMEOUT_S = 30.0
"""A position fix (and the browser's permission prompt) can take a while."""
_PLUGGED = {
    ft.BatteryState.CHARGING: True,
    ft.BatteryState.FULL: True,
    ft.BatteryState.CONNECTED_NOT_CHARGING: True,
    ft.BatteryState.DISCHARGING: False,
}


class SensorStream:
    """One motion sensor service and the sample it sends while a call has it switched on."""

    def __init__(self, name: str, unsupported: str) -> None:
        self.name = name
        self.service: Any = None
        """The Flet service (`enabled` plus `update()`); None when the client lacks it."""
        self._unsupported = unsupported
        self._sample: Any = None
        self._error: str | None = None
        self._arrived = asyncio.Event()
        self._lock = asyncio.Lock()

    def on_reading(self, event: Any) -> None:
        """Flet's `on_reading`: keep the newest sample."""
        self._sample = event
        self._arrived.set()

    def on_error(self, event: ft.SensorErrorEvent[Any]) -> None:
        """Flet's `on_error`: the client has no such sensor, or it failed."""
        self._error = event.message
        self._arrived.set()

    async def fresh_sample(self, wait_s: float = SAMPLE_WAIT_S) -> tuple[Any, str]:
        """(sample, "") or (None, why not): switches the sensor on for one sample only."""
        if self.service is None:
            return None, self._unsupported
        async with self._lock:
            self._sample, self._error = None, None
            self._arrived.clear()
            self.service.enabled = True
            self.service.update()
            try:
                async with asyncio.timeout(wait_s):
                    await self._arrived.wait()
            except TimeoutError:
                return None, (
                    f"no {self.name} reading within {wait_s:g} s: the app's device has no "
                    f"{self.name}, or its browser does not share it"
                )
            finally:
                self.service.enabled = False
                self.service.update()
        if self._error is not None:
            return None, f"the app's {self.name} failed: {self._error}"
        return self._sample, ""


class PageSensors:
    """The sensor services of one page's client; build it inside that page's context."""

    def __init__(self, page: ft.Page, *, with_location: bool) -> None:
        self.page = page
        platform = page.platform
        mobile = platform is not None and platform.is_mobile()
        self.client = (
            "web browser" if page.web else f"{platform.value if platform else 'desktop'} app"
        )
        self.battery = ft.Battery()
        self.connectivity = ft.Connectivity()
        web_or_mobile = page.web or mobile
        self.accelerometer = self._stream(
            "accelerometer", ft.Accelerometer if web_or_mobile else None, "a browser or a phone"
        )
        self.gyroscope = self._stream(
            "gyroscope", ft.Gyroscope if web_or_mobile else None, "a browser or a phone"
        )
        native_mobile = mobile and not page.web
        self.barometer = self._stream(
            "barometer", ft.Barometer if native_mobile else None, "the Android or iOS app"
        )
        # Created only when enabled: nothing on the page can ask for the position otherwise.
        self.geolocator = fgl.Geolocator() if with_location else None

    def _stream(self, name: str, kind: Callable[..., Any] | None, where: str) -> SensorStream:
        stream = SensorStream(
            name, f"Flet reads the {name} only in {where}, not in a {self.client}"
        )
        if kind is not None:
            stream.service = kind(
                enabled=False, on_reading=stream.on_reading, on_error=stream.on_error
            )
        return stream

    async def read_battery(self) -> Battery:
        """The client's battery level and state, or why it has none."""
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                level = await self.battery.get_battery_level()
                state = await self.battery.get_battery_state() if level is not None else None
        except Exception as exc:  # a timeout or a client-side failure: say which
            return _no_battery(f"the {self.client} could not read its battery ({_why(exc)})")
        if level is None or level < 0:
            return _no_battery(f"the {self.client} does not report a battery")
        return Battery(
            available=True,
            percent=float(level),
            plugged_in=_PLUGGED.get(state) if state is not None else None,
            state=state.value if state is not None else None,
            source="app",
        )

    async def read_connectivity(self) -> Connectivity | None:
        """The client's connection kinds; None when it does not answer."""
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                kinds = await self.connectivity.get_connectivity()
        except Exception:  # the host's reading is the fallback
            return None
        names = [kind.value for kind in kinds if kind is not ft.ConnectivityType.NONE]
        return Connectivity(
            online=bool(names), interfaces_up=[], connection_types=names, source="app"
        )

    async def read_motion(self) -> Motion:
        """One fresh sample per motion sensor, taken side by side."""
        accel, gyro, baro = await asyncio.gather(
            self.accelerometer.fresh_sample(),
            self.gyroscope.fresh_sample(),
            self.barometer.fresh_sample(),
        )
        return Motion(
            accelerometer=_axes(*accel),
            gyroscope=_axes(*gyro),
            barometer=_pressure(*baro),
            source="app",
        )

    async def read_location(self) -> Location:
        """The client's current position (the browser or OS may ask the user first)."""
        if self.geolocator is None:
            return _no_location("location was turned on after this page opened; reload the page")
        try:
            async with asyncio.timeout(LOCATION_TIMEOUT_S):
                position = await self.geolocator.get_current_position()
        except Exception as exc:
            return _no_location(
                f"the {self.client} gave no position ({_why(exc)}); allow location for "
                "Tandem in the browser's site settings or the device's settings"
            )
        if position.latitude is None or position.longitude is None:
            return _no_location(f"the {self.client} returned an empty position")
        accuracy = position.accuracy
        return Location(
            available=True,
            latitude=float(position.latitude),
            longitude=float(position.longitude),
            accuracy_m=float(accuracy) if accuracy is not None else None,
            source="app",
        )


class AppSensors:
    """A `SensorsBackend` over the app's open pages: the newest one is asked, else the host."""

    def __init__(self, fallback: SensorsBackend | None = None) -> None:
        self._pages: list[PageSensors] = []
        self._fallback = fallback or HostSensors()

    def add(self, sensors: PageSensors) -> None:
        """Read from `sensors`' page from now on (the newest page wins)."""
        self._pages.append(sensors)

    def prefer(self, page: ft.Page) -> None:
        """Read from `page` first from now on: its user just sent a message."""
        mine = [sensors for sensors in self._pages if sensors.page is page]
        self._pages = [sensors for sensors in self._pages if sensors.page is not page] + mine

    def remove(self, sensors: PageSensors) -> None:
        """Stop reading from a page that closed."""
        if sensors in self._pages:
            self._pages.remove(sensors)

    async def battery(self) -> Battery:
        """The client's battery; the host's when only the host has one."""
        if not self._pages:
            return await self._fallback.battery()
        reading = await self._pages[-1].read_battery()
        if reading.available:
            return reading
        host = await self._fallback.battery()
        return host if host.available else reading

    async def connectivity(self) -> Connectivity:
        """The client's connection kinds; the host's interfaces when it does not answer."""
        reading = await self._pages[-1].read_connectivity() if self._pages else None
        return reading or await self._fallback.connectivity()

    async def motion(self) -> Motion:
        """The client's motion sensors (a host has none)."""
        return await (self._pages[-1].read_motion() if self._pages else self._fallback.motion())

    async def location(self) -> Location:
        """The client's position (only reached when the user enabled location)."""
        if not self._pages:
            return await self._fallback.location()
        return await self._pages[-1].read_location()


def attach_sensors(page: ft.Page, service: AppMcpService) -> None:
    """Make `page`'s client the source of `service`'s device sensors (once per page)."""
    backend = service.sensors_backend
    if not isinstance(backend, AppSensors):
        backend = AppSensors()
        service.sensors_backend = backend
    sensors = PageSensors(page, with_location=service.runtime.settings.mcp.location_enabled)
    backend.add(sensors)

    def closed(_event: object = None) -> None:
        backend.remove(sensors)

    chain_page_event(page, "on_disconnect", closed)
    chain_page_event(page, "on_close", closed)


def _axes(sample: Any, reason: str) -> AxesReading:
    if sample is None:
        return AxesReading(available=False, reason=reason)
    return AxesReading(
        available=True,
        x=float(sample.x),
        y=float(sample.y),
        z=float(sample.z),
        timestamp=_iso(sample),
    )


def _pressure(sample: Any, reason: str) -> PressureReading:
    if sample is None:
        return PressureReading(available=False, reason=reason)
    return PressureReading(
        available=True, hectopascals=float(sample.pressure), timestamp=_iso(sample)
    )


def _iso(sample: Any) -> str | None:
    stamp = getattr(sample, "timestamp", None)
    return stamp.isoformat() if stamp is not None else None


def _no_battery(reason: str) -> Battery:
    return Battery(available=False, source="app", reason=reason)


def _no_location(reason: str) -> Location:
    return Location(available=False, source="app", reason=reason)


def _why(exc: BaseException) -> str:
    return str(exc) or (
        "no answer in time" if isinstance(exc, TimeoutError) else type(exc).__name__
    )
