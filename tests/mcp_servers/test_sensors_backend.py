"""The sensors server's backend seam: a client backend answers device readings, psutil the rest."""

from __future__ import annotations

from mcp import Client
from mcp.server.mcpserver import MCPServer

from mcp_servers.sensors import (
    HostSensors,
    build_sensors_server,
)
from mcp_servers.sensors_models import (
    AxesReading,
    Battery,
    Connectivity,
    Location,
    Motion,
    PressureReading,
)


class FakeClientSensors:
    """A phone-like client: a battery, wifi, an accelerometer and a position; records calls."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def battery(self) -> Battery:
        self.asked.append("battery")
        return Battery(
            available=True, percent=37.0, plugged_in=False, state="discharging", source="app"
        )

    async def connectivity(self) -> Connectivity:
        self.asked.append("connectivity")
        return Connectivity(online=True, interfaces_up=[], connection_types=["wifi"], source="app")

    async def motion(self) -> Motion:
        self.asked.append("motion")
        return Motion(
            accelerometer=AxesReading(available=True, x=0.1, y=0.2, z=9.8),
            gyroscope=AxesReading(available=False, reason="no gyroscope"),
            barometer=PressureReading(available=True, hectopascals=1013.2),
            source="app",
        )

    async def location(self) -> Location:
        self.asked.append("location")
        return Location(available=True, latitude=48.85, longitude=2.35, source="app")


async def structured(server: MCPServer[object], tool: str) -> dict[str, object]:
    async with Client(server) as client:
        result = await client.call_tool(tool, {})
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_device_readings_come_from_the_client_and_the_rest_from_the_host() -> None:
    fake = FakeClientSensors()
    server = build_sensors_server(backend=fake)
    battery = await structured(server, "sensors_battery")
    assert (battery["percent"], battery["state"], battery["source"]) == (37.0, "discharging", "app")
    connectivity = await structured(server, "sensors_connectivity")
    assert connectivity["connection_types"] == ["wifi"] and connectivity["source"] == "app"
    motion = await structured(server, "sensors_motion")
    assert motion["accelerometer"] == {
        "available": True,
        "x": 0.1,
        "y": 0.2,
        "z": 9.8,
        "timestamp": None,
        "reason": "",
    }
    assert motion["barometer"]["hectopascals"] == 1013.2  # type: ignore[index]
    cpu = await structured(server, "sensors_cpu")
    assert isinstance(cpu["logical_cores"], int) and cpu["logical_cores"] >= 1
    assert fake.asked == ["battery", "connectivity", "motion"]


async def test_motion_has_an_output_schema_naming_the_three_sensors() -> None:
    async with Client(build_sensors_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    schema = tools["sensors_motion"].output_schema
    assert schema is not None
    assert {"accelerometer", "gyroscope", "barometer"} <= set(schema["properties"])


async def test_location_stays_off_and_the_client_is_not_asked_unless_enabled() -> None:
    fake = FakeClientSensors()
    off = await structured(build_sensors_server(backend=fake), "sensors_location")
    assert off["available"] is False and off["latitude"] is None
    assert "off" in str(off["reason"]) and "location_enabled = true" in str(off["reason"])
    assert "location" not in fake.asked

    on = await structured(
        build_sensors_server(backend=fake, location_enabled=True), "sensors_location"
    )
    assert (on["available"], on["latitude"], on["source"]) == (True, 48.85, "app")
    assert fake.asked == ["location"]


async def test_serve_options_choose_the_sensors_backend() -> None:
    from mcp_servers.serve import ServeOptions, build_server

    fake = FakeClientSensors()
    app_server, _ = build_server(ServeOptions(servers=("sensors",), sensors=fake))
    host_server, _ = build_server(ServeOptions(servers=("sensors",)))
    assert (await structured(app_server, "sensors_battery"))["source"] == "app"
    assert (await structured(host_server, "sensors_battery"))["source"] == "host"
    assert fake.asked == ["battery"]


async def test_the_host_has_no_motion_sensors_or_location_source() -> None:
    host = HostSensors()
    motion = await host.motion()
    assert not motion.accelerometer.available and not motion.barometer.available
    assert "open the Tandem app on a phone" in motion.gyroscope.reason
    location = await host.location()
    assert not location.available and "no location source" in location.reason
