"""The `sensors` MCP server: the host's battery, connectivity, CPU, memory and more.

Tools (no arguments unless noted; each returns a typed model, so clients get an
output schema):

- `sensors_battery` -> `Battery`          `available=False` on machines without one
- `sensors_connectivity` -> `Connectivity`  network interfaces up, without addresses
- `sensors_cpu` -> `Cpu`, `sensors_memory` -> `Memory`, `sensors_disk` -> `Disk`
- `sensors_network` -> `Network`           traffic counters since boot
- `sensors_temperatures` -> `Temperatures`  `available=False` where none are exposed
- `sensors_uptime` -> `Uptime`
- `sensors_location` -> `Location`         refused unless the user enabled location

Readings come from psutil on the host. No address (IP, MAC) is reported: a
reading should never identify the machine or its network.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

import psutil  # type: ignore[import-untyped]
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field


class Battery(BaseModel):
    """Battery charge, or why it is not available."""

    available: bool = Field(description="False when the machine has no battery sensor.")
    percent: float | None = Field(default=None, description="Charge in percent.")
    plugged_in: bool | None = Field(default=None, description="On external power.")
    seconds_left: int | None = Field(
        default=None, description="Estimated seconds of battery left; None when unknown/charging."
    )
    reason: str = Field(default="", description="Why the reading is not available.")


class Connectivity(BaseModel):
    """Whether any non-loopback network interface is up."""

    online: bool = Field(description="True when at least one non-loopback interface is up.")
    interfaces_up: list[str] = Field(description="Names of the non-loopback interfaces up.")


class Cpu(BaseModel):
    """Processor load."""

    percent: float = Field(description="Utilisation since the previous reading, in percent.")
    logical_cores: int = Field(description="Logical CPU count.")
    physical_cores: int | None = Field(description="Physical core count, when known.")
    frequency_mhz: float | None = Field(description="Current frequency, when known.")
    load_average: list[float] = Field(description="1, 5 and 15 minute load averages.")


class Memory(BaseModel):
    """RAM and swap use, in bytes."""

    total: int
    available: int
    used: int
    percent: float
    swap_total: int
    swap_used: int


class Disk(BaseModel):
    """Usage of the system disk, in bytes."""

    path: str = Field(description="Mount point or drive measured.")
    total: int
    used: int
    free: int
    percent: float


class Network(BaseModel):
    """Traffic counters over all interfaces since boot."""

    bytes_sent: int
    bytes_received: int
    packets_sent: int
    packets_received: int


class TemperatureReading(BaseModel):
    """One temperature sensor, in degrees Celsius."""

    sensor: str
    label: str
    current: float
    high: float | None
    critical: float | None


class Temperatures(BaseModel):
    """Temperature sensors, or why none are available."""

    available: bool = Field(description="False when the host exposes no temperature sensor.")
    readings: list[TemperatureReading] = Field(default_factory=list)
    reason: str = Field(default="", description="Why no reading is available.")


class Uptime(BaseModel):
    """Time since the host booted."""

    boot_time: str = Field(description="Boot time, ISO 8601 UTC.")
    uptime_seconds: int


class Location(BaseModel):
    """The device's location, or why it is not given."""

    available: bool
    latitude: float | None = None
    longitude: float | None = None
    reason: str = ""


def battery() -> Battery:
    """Battery charge and power source."""
    reader = getattr(psutil, "sensors_battery", None)
    info = reader() if reader is not None else None
    if info is None:
        return Battery(available=False, reason="this machine has no battery sensor")
    secs = int(info.secsleft)
    return Battery(
        available=True,
        percent=float(info.percent),
        plugged_in=None if info.power_plugged is None else bool(info.power_plugged),
        # psutil reports "unknown" and "unlimited" (charging) as negative sentinels.
        seconds_left=secs if secs >= 0 else None,
    )


def connectivity() -> Connectivity:
    """Whether the host has a network interface up (no traffic is sent to check)."""
    stats: dict[str, Any] = psutil.net_if_stats()
    up = sorted(name for name, st in stats.items() if st.isup and not _loopback(name))
    return Connectivity(online=bool(up), interfaces_up=up)


def cpu() -> Cpu:
    """Processor utilisation, cores, frequency and load."""
    freq = psutil.cpu_freq()
    return Cpu(
        percent=float(psutil.cpu_percent(interval=None)),
        logical_cores=int(psutil.cpu_count(logical=True) or 1),
        physical_cores=_opt_int(psutil.cpu_count(logical=False)),
        frequency_mhz=float(freq.current) if freq is not None else None,
        load_average=[float(x) for x in psutil.getloadavg()],
    )


def memory() -> Memory:
    """RAM and swap use."""
    vm = psutil.virtual_memory()
    sw = psutil.swap_memory()
    return Memory(
        total=int(vm.total),
        available=int(vm.available),
        used=int(vm.used),
        percent=float(vm.percent),
        swap_total=int(sw.total),
        swap_used=int(sw.used),
    )


def disk() -> Disk:
    """Usage of the system disk (no path argument: it would probe for files' existence)."""
    path = os.path.abspath(os.sep)
    usage = psutil.disk_usage(path)
    return Disk(
        path=path,
        total=int(usage.total),
        used=int(usage.used),
        free=int(usage.free),
        percent=float(usage.percent),
    )


def network() -> Network:
    """Bytes and packets sent and received since boot."""
    io = psutil.net_io_counters()
    return Network(
        bytes_sent=int(io.bytes_sent),
        bytes_received=int(io.bytes_recv),
        packets_sent=int(io.packets_sent),
        packets_received=int(io.packets_recv),
    )


def temperatures() -> Temperatures:
    """Temperature sensors the host exposes."""
    reader = getattr(psutil, "sensors_temperatures", None)
    found: dict[str, Any] = reader() if reader is not None else {}
    readings = [
        TemperatureReading(
            sensor=name,
            label=str(entry.label or name),
            current=float(entry.current),
            high=_opt_float(entry.high),
            critical=_opt_float(entry.critical),
        )
        for name, entries in sorted(found.items())
        for entry in entries
    ]
    if not readings:
        return Temperatures(available=False, reason="this machine exposes no temperature sensor")
    return Temperatures(available=True, readings=readings)


def uptime() -> Uptime:
    """Boot time and seconds since."""
    boot = float(psutil.boot_time())
    return Uptime(
        boot_time=datetime.fromtimestamp(boot, UTC).isoformat(),
        uptime_seconds=int(time.time() - boot),
    )


def register_sensors(server: MCPServer[Any], *, location_enabled: bool = False) -> list[str]:
    """Add the sensors tools to `server`; return their names."""
    psutil.cpu_percent(interval=None)  # primes the counter: the first reading is otherwise 0

    def sensors_location() -> Location:
        """The device's location, only when the user enabled location sharing."""
        if not location_enabled:
            return Location(
                available=False,
                reason="location sharing is off; the user can enable it in Tandem's settings",
            )
        return Location(available=False, reason="no location source on this host")

    tools = {
        "sensors_battery": battery,
        "sensors_connectivity": connectivity,
        "sensors_cpu": cpu,
        "sensors_memory": memory,
        "sensors_disk": disk,
        "sensors_network": network,
        "sensors_temperatures": temperatures,
        "sensors_uptime": uptime,
        "sensors_location": sensors_location,
    }
    for name, fn in tools.items():
        server.add_tool(fn, name=name)
    return list(tools)


def build_sensors_server(*, location_enabled: bool = False) -> MCPServer[Any]:
    """A standalone sensors server; `tandem mcp serve` combines servers."""
    server: MCPServer[Any] = MCPServer("tandem-sensors", log_level="WARNING")
    register_sensors(server, location_enabled=location_enabled)
    return server


def _loopback(name: str) -> bool:
    return name == "lo" or (name.startswith("lo") and name[2:].isdigit()) or name == "Loopback"


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
