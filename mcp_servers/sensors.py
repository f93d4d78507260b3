"""The `sensors` MCP server: device battery, connectivity, motion, location; host load.

Tools (no arguments unless noted; each returns a typed model, so clients get an
output schema):

- `sensors_battery` -> `Battery`          `available=False` on machines without one
- `sensors_connectivity` -> `Connectivity`  network interfaces up, without addresses
- `sensors_cpu` -> `Cpu`, `sensors_memory` -> `Memory`, `sensors_disk` -> `Disk`
- `sensors_network` -> `Network`           traffic counters since boot
- `sensors_temperatures` -> `Temperatures`  `available=False` where none are exposed
- `sensors_uptime` -> `Uptime`
- `sensors_motion` -> `Motion`             accelerometer, gyroscope, barometer
- `sensors_location` -> `Location`         refused unless the user enabled location

Battery, connectivity, motion and location come from a `SensorsBackend`: by
default `HostSensors` (psutil; a desktop has no motion sensors or location
source); the Tandem app plugs in its client's sensors (app/gui/sensors_bridge.py).
CPU, memory, disk, network, temperatures and uptime are always the host's, and
are offered only where psutil is installed (a phone may lack it).
No address (IP, MAC) is reported: a reading should never identify the machine
or its network.
"""

from __future__ import annotations

from typing import Any, Protocol

from mcp.server.mcpserver import MCPServer

from mcp_servers.sensors_host import (
    HostSensors,
    battery,
    connectivity,
    cpu,
    disk,
    host_psutil,
    memory,
    network,
    temperatures,
    uptime,
)
from mcp_servers.sensors_models import (
    AxesReading,
    Battery,
    Connectivity,
    Cpu,
    Disk,
    Location,
    Memory,
    Motion,
    Network,
    PressureReading,
    TemperatureReading,
    Temperatures,
    Uptime,
)
from router.optional import say_missing

__all__ = [
    "AxesReading",
    "Battery",
    "Connectivity",
    "Cpu",
    "Disk",
    "HostSensors",
    "Location",
    "Memory",
    "Motion",
    "Network",
    "PressureReading",
    "SensorsBackend",
    "TemperatureReading",
    "Temperatures",
    "Uptime",
    "battery",
    "build_sensors_server",
    "connectivity",
    "cpu",
    "disk",
    "memory",
    "network",
    "register_sensors",
    "temperatures",
    "uptime",
]

HOST_TOOLS: dict[str, Any] = {
    "sensors_cpu": cpu,
    "sensors_memory": memory,
    "sensors_disk": disk,
    "sensors_network": network,
    "sensors_temperatures": temperatures,
    "sensors_uptime": uptime,
}
"""The tools that read the host through psutil alone (no backend answers them)."""

LOCATION_OFF = (
    "location sharing is off; the user can turn it on in Tandem's settings "
    "(`[mcp] location_enabled = true` in settings.toml), then restart the MCP server"
)


class SensorsBackend(Protocol):
    """Where the device-level readings come from: the host, or the app's client."""

    async def battery(self) -> Battery:
        """Battery charge, or why there is none."""
        ...

    async def connectivity(self) -> Connectivity:
        """Whether the device is online."""
        ...

    async def motion(self) -> Motion:
        """One fresh accelerometer, gyroscope and barometer sample each, where available."""
        ...

    async def location(self) -> Location:
        """The device's position; only called when the user enabled location."""
        ...


def register_sensors(
    server: MCPServer[Any],
    *,
    location_enabled: bool = False,
    backend: SensorsBackend | None = None,
) -> list[str]:
    """Add the sensors tools to `server`; return their names.

    `backend` (else `HostSensors`) answers battery, connectivity, motion and
    location; the rest is always psutil, and left out where psutil is not installed.
    """
    source: SensorsBackend = backend or HostSensors()
    psutil = host_psutil()
    if psutil is not None:
        psutil.cpu_percent(interval=None)  # primes the counter: the first reading is otherwise 0

    async def sensors_battery() -> Battery:
        """Battery charge and power source of the device (the app's client when it runs)."""
        return await source.battery()

    async def sensors_connectivity() -> Connectivity:
        """Whether the device is online, and how (no addresses are reported)."""
        return await source.connectivity()

    async def sensors_motion() -> Motion:
        """Accelerometer (m/s^2), gyroscope (rad/s), barometer (hPa): where the device has them."""
        return await source.motion()

    async def sensors_location() -> Location:
        """The device's location, only when the user enabled location sharing."""
        if not location_enabled:
            return Location(available=False, reason=LOCATION_OFF)
        return await source.location()

    tools: dict[str, Any] = {
        "sensors_battery": sensors_battery,
        "sensors_connectivity": sensors_connectivity,
        **(HOST_TOOLS if psutil is not None else _without_host_tools()),
        "sensors_motion": sensors_motion,
        "sensors_location": sensors_location,
    }
    for name, fn in tools.items():
        server.add_tool(fn, name=name)
    return list(tools)


def _without_host_tools() -> dict[str, Any]:
    """No host tools: psutil is not installed. Said once, as the router says what it lacks."""
    say_missing(
        "psutil",
        "the host's CPU, memory, disk, traffic, temperature and uptime figures are "
        "unknown and the sensors tools for them are not offered",
        "install psutil to offer them",
    )
    return {}


def build_sensors_server(
    *, location_enabled: bool = False, backend: SensorsBackend | None = None
) -> MCPServer[Any]:
    """A standalone sensors server; `tandem mcp serve` combines servers."""
    server: MCPServer[Any] = MCPServer("tandem-sensors", log_level="WARNING")
    register_sensors(server, location_enabled=location_enabled, backend=backend)
    return server
