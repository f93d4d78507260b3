"""The device's resources as routing sees them each turn: battery, charging, network.

`ResourceSensors.read()` returns a `ResourceState` per turn. The sensors are
plain callables, so tests (and the app, which knows the phone's battery) can
pass their own:

- battery: psutil's `sensors_battery()` when psutil is installed and the
  machine has a battery; otherwise unknown, and battery never changes a route;
- offline: no network interface other than loopback is up (psutil again;
  unknown without it). An endpoint that stops answering is also taken out by
  its circuit breaker (router/endpoints/resilient.py), so this only saves the
  first turn's wait;
- metered: the user's `[routing] metered_network` setting, since operating
  systems do not expose it portably.

What the policies do with the state is in router/policy/resource_rules.py.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

NetworkState = Literal["offline", "metered", "unmetered"]

LOW_BATTERY_PERCENT = 20.0
"""Prior (hand-set): at or below this charge, on battery power, the battery counts as low."""

BatteryReading = tuple[float | None, bool | None]
"""(charge in percent, charging) — each None when unknown."""


@dataclass(frozen=True)
class ResourceState:
    """Battery and network at the start of one turn; unknown values never change a route."""

    battery_percent: float | None = None
    """Charge left, 0-100; None on a machine without a battery (or no sensor)."""
    charging: bool | None = None
    """True when plugged in; None when unknown."""
    network: NetworkState = "unmetered"

    @property
    def low_battery(self) -> bool:
        """True when the battery is at or below the prior threshold and not charging."""
        return (
            self.battery_percent is not None
            and self.charging is False
            and self.battery_percent <= LOW_BATTERY_PERCENT
        )

    @property
    def offline(self) -> bool:
        """True when the device has no network."""
        return self.network == "offline"

    @property
    def metered(self) -> bool:
        """True when each byte sent costs the user (a mobile plan, a hotspot)."""
        return self.network == "metered"


def psutil_battery() -> BatteryReading:
    """The machine's battery through psutil; (None, None) without psutil or a battery."""
    psutil = _psutil()
    reader = getattr(psutil, "sensors_battery", None)
    if reader is None:
        return None, None
    try:
        info = reader()
    except (OSError, RuntimeError):  # a broken ACPI/IOKit read is no battery, not a crash
        return None, None
    if info is None:
        return None, None
    plugged = info.power_plugged
    return float(info.percent), None if plugged is None else bool(plugged)


def psutil_online() -> bool | None:
    """False when no interface but loopback is up with an address; None without psutil."""
    psutil = _psutil()
    if psutil is None:
        return None
    try:
        stats: dict[str, Any] = psutil.net_if_stats()
        addresses: dict[str, Any] = psutil.net_if_addrs()
    except (OSError, RuntimeError):
        return None
    for name, stat in stats.items():
        if stat.isup and any(_routable(a) for a in addresses.get(name, ())):
            return True
    return False


def _routable(address: Any) -> bool:
    """True for an IPv4/IPv6 address that is neither loopback nor link-local."""
    if address.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        ip = ipaddress.ip_address(str(address.address).split("%", 1)[0])
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local)


def _psutil() -> Any:
    """The psutil module, or None: psutil is optional for routing."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return None
    return psutil


@dataclass
class ResourceSensors:
    """Where the per-turn `ResourceState` comes from; each sensor can be replaced."""

    battery: Callable[[], BatteryReading] = psutil_battery
    online: Callable[[], bool | None] = psutil_online
    """True/False when known; None when the machine cannot tell (then: online)."""
    metered: bool = False
    """The user's setting: the network is paid by the byte."""

    def read(self) -> ResourceState:
        """The state now: a failed or missing sensor reads as unknown."""
        percent, charging = self.battery()
        if self.online() is False:
            network: NetworkState = "offline"
        else:
            network = "metered" if self.metered else "unmetered"
        return ResourceState(battery_percent=percent, charging=charging, network=network)


def sensors_for(*, metered: bool, sense: bool) -> ResourceSensors:
    """The sensors the settings ask for: psutil's when `sense`, else unknown battery and network."""
    if sense:
        return ResourceSensors(metered=metered)
    return ResourceSensors(battery=lambda: (None, None), online=lambda: None, metered=metered)
