"""The host's readings for the `sensors` server: psutil on the machine running it.

psutil is optional (a phone may have no wheel for it): without it the host's battery
and network state read as unknown, and its CPU, memory, disk, traffic, temperature
and uptime figures cannot be read at all (`host_psutil` is None; the server then
does not offer those tools).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

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
from router.errors import TandemError

NO_PSUTIL = "psutil is not installed, so this host's {} cannot be read"


def host_psutil() -> Any:
    """The psutil module, or None where it is not installed."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return None
    return psutil


def _required_psutil(what: str) -> Any:
    """psutil, or a `TandemError` saying the host's `what` figures are unknown without it."""
    psutil = host_psutil()
    if psutil is None:
        raise TandemError(NO_PSUTIL.format(what), "install psutil to read them")
    return psutil


class HostSensors:
    """The default backend: psutil on the machine running the server."""

    async def battery(self) -> Battery:
        """The host's battery (psutil)."""
        return battery()

    async def connectivity(self) -> Connectivity:
        """The host's network interfaces (psutil)."""
        return connectivity()

    async def motion(self) -> Motion:
        """A desktop host has no motion sensors that psutil can read."""
        why = "the host has no motion sensors; open the Tandem app on a phone or tablet"
        none = AxesReading(available=False, reason=why)
        return Motion(
            accelerometer=none,
            gyroscope=none,
            barometer=PressureReading(available=False, reason=why),
        )

    async def location(self) -> Location:
        """psutil has no location source."""
        return Location(
            available=False,
            reason="no location source on this host; open the Tandem app on a device "
            "with location services",
        )


def battery() -> Battery:
    """Battery charge and power source."""
    psutil = host_psutil()
    if psutil is None:
        return Battery(available=False, reason=NO_PSUTIL.format("battery"))
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
    psutil = host_psutil()
    if psutil is None:
        return Connectivity(online=None, interfaces_up=[], reason=NO_PSUTIL.format("network state"))
    stats: dict[str, Any] = psutil.net_if_stats()
    up = sorted(name for name, st in stats.items() if st.isup and not _loopback(name))
    return Connectivity(online=bool(up), interfaces_up=up)


def cpu() -> Cpu:
    """Processor utilisation, cores, frequency and load."""
    psutil = _required_psutil("CPU")
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
    psutil = _required_psutil("memory")
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
    psutil = _required_psutil("disk")
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
    psutil = _required_psutil("network traffic")
    io = psutil.net_io_counters()
    return Network(
        bytes_sent=int(io.bytes_sent),
        bytes_received=int(io.bytes_recv),
        packets_sent=int(io.packets_sent),
        packets_received=int(io.packets_recv),
    )


def temperatures() -> Temperatures:
    """Temperature sensors the host exposes."""
    psutil = _required_psutil("temperatures")
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
    psutil = _required_psutil("uptime")
    boot = float(psutil.boot_time())
    return Uptime(
        boot_time=datetime.fromtimestamp(boot, UTC).isoformat(),
        uptime_seconds=int(time.time() - boot),
    )


def _loopback(name: str) -> bool:
    return name == "lo" or (name.startswith("lo") and name[2:].isdigit()) or name == "Loopback"


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
