"""The sensors server: every tool answers with a typed result, missing sensors included."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from mcp import Client

from mcp_servers import sensors
from mcp_servers.sensors import build_sensors_server
from router.errors import TandemError

TOOLS = {
    "sensors_battery",
    "sensors_connectivity",
    "sensors_cpu",
    "sensors_memory",
    "sensors_disk",
    "sensors_network",
    "sensors_temperatures",
    "sensors_uptime",
    "sensors_motion",
    "sensors_location",
}


async def test_every_tool_has_an_output_schema_and_answers() -> None:
    async with Client(build_sensors_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        results = {name: await client.call_tool(name, {}) for name in tools}
    for name, tool in tools.items():
        assert tool.output_schema is not None, name
        assert not results[name].is_error, name
        assert isinstance(results[name].structured_content, dict), name
    memory = results["sensors_memory"].structured_content
    assert memory is not None and 0 < memory["available"] <= memory["total"]
    cpu = results["sensors_cpu"].structured_content
    assert cpu is not None and cpu["logical_cores"] >= 1
    uptime = results["sensors_uptime"].structured_content
    assert uptime is not None and uptime["uptime_seconds"] > 0


async def test_no_battery_is_a_typed_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("psutil.sensors_battery", lambda: None)
    async with Client(build_sensors_server()) as client:
        result = await client.call_tool("sensors_battery", {})
    assert result.structured_content is not None
    assert result.structured_content["available"] is False
    assert "no battery" in result.structured_content["reason"]


def test_a_battery_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    reading = SimpleNamespace(percent=81.5, secsleft=-2, power_plugged=True)
    monkeypatch.setattr("psutil.sensors_battery", lambda: reading)
    battery = sensors.battery()
    assert (battery.available, battery.percent, battery.plugged_in) == (True, 81.5, True)
    assert battery.seconds_left is None  # psutil's "unlimited" sentinel while charging


def test_temperatures_missing_or_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("psutil.sensors_temperatures", lambda: {})
    assert sensors.temperatures().available is False
    entry = SimpleNamespace(label="Package", current=48.0, high=90.0, critical=None)
    monkeypatch.setattr("psutil.sensors_temperatures", lambda: {"coretemp": [entry]})
    temps = sensors.temperatures()
    assert temps.available and temps.readings[0].label == "Package"


async def test_location_is_refused_unless_enabled() -> None:
    async with Client(build_sensors_server()) as client:
        off = (await client.call_tool("sensors_location", {})).structured_content
    assert off is not None and off["available"] is False and "off" in off["reason"]
    async with Client(build_sensors_server(location_enabled=True)) as client:
        on = (await client.call_tool("sensors_location", {})).structured_content
    assert on is not None and "off" not in on["reason"]


def test_connectivity_ignores_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    stats = {"lo": SimpleNamespace(isup=True), "eth0": SimpleNamespace(isup=False)}
    monkeypatch.setattr("psutil.net_if_stats", lambda: stats)
    assert sensors.connectivity().online is False
    stats["wlan0"] = SimpleNamespace(isup=True)
    assert sensors.connectivity().interfaces_up == ["wlan0"]


async def test_without_psutil_the_host_figures_are_unknown_and_their_tools_not_offered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("mcp_servers.sensors_host.host_psutil", lambda: None)
    monkeypatch.setattr("mcp_servers.sensors.host_psutil", lambda: None)
    async with Client(build_sensors_server()) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        battery = (await client.call_tool("sensors_battery", {})).structured_content
        online = (await client.call_tool("sensors_connectivity", {})).structured_content
    assert names == TOOLS - set(sensors.HOST_TOOLS)
    assert battery is not None and battery["available"] is False
    assert "psutil is not installed" in battery["reason"]
    assert online is not None and online["online"] is None and "psutil" in online["reason"]
    with pytest.raises(TandemError, match="memory cannot be read"):
        sensors.memory()
