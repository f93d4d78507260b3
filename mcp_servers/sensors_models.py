"""Typed readings of the `sensors` server (each tool returns one, so clients get a schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Source = Literal["host", "app"]
"""Where a reading came from: psutil on the host, or the Tandem app's client (browser, phone)."""


class Battery(BaseModel):
    """Battery charge, or why it is not available."""

    available: bool = Field(description="False when the machine has no battery sensor.")
    percent: float | None = Field(default=None, description="Charge in percent.")
    plugged_in: bool | None = Field(default=None, description="On external power.")
    seconds_left: int | None = Field(
        default=None, description="Estimated seconds of battery left; None when unknown/charging."
    )
    state: str | None = Field(
        default=None,
        description="The app client's state: charging, discharging, full, "
        "connectedNotCharging or unknown (None from the host).",
    )
    source: Source = Field(default="host", description="Who measured it.")
    reason: str = Field(default="", description="Why the reading is not available.")


class Connectivity(BaseModel):
    """Whether the device is connected to a network."""

    online: bool | None = Field(
        description="True when a network connection is up; None when the host cannot tell."
    )
    interfaces_up: list[str] = Field(
        description="Names of the host's non-loopback interfaces up (empty for the app's client)."
    )
    connection_types: list[str] = Field(
        default_factory=list,
        description="The app client's connection kinds (wifi, ethernet, mobile, vpn, ...).",
    )
    source: Source = Field(default="host", description="Who measured it.")
    reason: str = Field(default="", description="Why the state is not known.")


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
    accuracy_m: float | None = Field(default=None, description="Radius of uncertainty, metres.")
    source: Source = Field(default="host", description="Who measured it.")
    reason: str = ""


class AxesReading(BaseModel):
    """The latest three-axis sample of a motion sensor, or why there is none."""

    available: bool
    x: float | None = None
    y: float | None = None
    z: float | None = None
    timestamp: str | None = Field(default=None, description="When it was sampled, ISO 8601.")
    reason: str = Field(default="", description="Why no reading is available.")


class PressureReading(BaseModel):
    """The latest barometer sample, or why there is none."""

    available: bool
    hectopascals: float | None = None
    timestamp: str | None = Field(default=None, description="When it was sampled, ISO 8601.")
    reason: str = Field(default="", description="Why no reading is available.")


class Motion(BaseModel):
    """The device's motion sensors: one fresh sample each, where the device has them."""

    accelerometer: AxesReading = Field(description="Acceleration in m/s^2, gravity included.")
    gyroscope: AxesReading = Field(description="Rotation rate in rad/s.")
    barometer: PressureReading = Field(description="Air pressure in hPa.")
    source: Source = Field(default="host", description="Who measured it.")
