"""Device backends that look up the current device at each call.

The app's pages come and go (a phone connects, a browser tab closes), but the
MCP servers are built once. These backends ask a lookup for the device to use
on every call, so a server built earlier always reads the device that is
there now: the app's client when one is attached, else the host's sensors, or
a clear error when there is no camera.
"""

from __future__ import annotations

from collections.abc import Callable

from mcp_servers.camera import CameraBackend, CameraError, CameraInfo
from mcp_servers.sensors import HostSensors, SensorsBackend
from mcp_servers.sensors_models import Battery, Connectivity, Location, Motion


class CurrentSensors:
    """A `SensorsBackend` that reads `current()` at each call, else this host's sensors."""

    def __init__(self, current: Callable[[], SensorsBackend | None]) -> None:
        """`current` returns the device's backend now (None: read the host)."""
        self._current = current
        self._host = HostSensors()

    def _backend(self) -> SensorsBackend:
        return self._current() or self._host

    async def battery(self) -> Battery:
        """The current device's battery."""
        return await self._backend().battery()

    async def connectivity(self) -> Connectivity:
        """The current device's connectivity."""
        return await self._backend().connectivity()

    async def motion(self) -> Motion:
        """The current device's motion sensors."""
        return await self._backend().motion()

    async def location(self) -> Location:
        """The current device's location (the server checks that the user enabled it)."""
        return await self._backend().location()


class CurrentCamera:
    """A `CameraBackend` that uses `current()` at each call; `missing` is raised when None."""

    def __init__(
        self,
        current: Callable[[], CameraBackend | None],
        missing: Callable[[], CameraError],
        fallback_source: str,
    ) -> None:
        """`fallback_source` names the source while no camera is there (`none`, `app`)."""
        self._current = current
        self._missing = missing
        self._fallback_source = fallback_source

    @property
    def source(self) -> str:
        """The current camera's source (`app`, `opencv`), else the fallback name."""
        camera = self._current()
        return camera.source if camera is not None else self._fallback_source

    @source.setter
    def source(self, _value: str) -> None:
        # Only so the property satisfies the protocol's plain attribute; nothing sets it.
        raise AttributeError("a current camera's source is its camera's")

    def _backend(self) -> CameraBackend:
        camera = self._current()
        if camera is None:
            raise self._missing()
        return camera

    async def list_cameras(self) -> list[CameraInfo]:
        """The current device's cameras."""
        return await self._backend().list_cameras()

    async def capture(self, camera_id: str | None) -> bytes:
        """One still from the current device."""
        return await self._backend().capture(camera_id)
