"""Sensors end to end: an MCP client reads the sensors of the browser that has the app open.

The app runs with `--mcp-port`; headless Chromium has it open. Chromium's
Battery API is replaced by a script before the page loads (a headless browser
otherwise reports the spec's no-battery default, 100 % and charging), so the
reading the client receives can only have come from the browser. Location is off
unless the settings turn it on; with it on, the browser's (emulated) position
comes back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from playwright.sync_api import Page, expect

from app.gui.main import free_port
from tests.e2e.conftest import GuiApp, open_app, run_async_in_thread, wait_for_mcp

ANSWER_TIMEOUT_S = 90
FAKE_BATTERY = """
const battery = {level: 0.42, charging: false, chargingTime: Infinity, dischargingTime: 5400,
  addEventListener() {}, removeEventListener() {}, onchargingchange: null, onlevelchange: null};
navigator.getBattery = () => Promise.resolve(battery);
"""
BERLIN = {"latitude": 52.52, "longitude": 13.405, "accuracy": 25}


async def read(app: GuiApp, tools: list[str]) -> dict[str, dict[str, Any]]:
    """Call each tool over HTTP with the app's token; the structured results by tool."""
    assert app.mcp_url is not None and app.mcp_token is not None
    headers = {"Authorization": f"Bearer {app.mcp_token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http,
        Client(streamable_http_client(app.mcp_url, http_client=http)) as client,
    ):
        results = {name: await client.call_tool(name, {}) for name in tools}
    readings = {}
    for name, result in results.items():
        assert not result.is_error, result.content
        assert isinstance(result.structured_content, dict), name
        readings[name] = result.structured_content
    return readings


def read_from_page(page: Page, app: GuiApp, tools: list[str]) -> dict[str, dict[str, Any]]:
    open_app(page, app.url)
    wait_for_mcp(app)
    return run_async_in_thread(lambda: read(app, tools)).result(ANSWER_TIMEOUT_S)


def test_battery_and_connectivity_come_from_the_browser(gui_app_mcp: GuiApp, page: Page) -> None:
    page.add_init_script(FAKE_BATTERY)
    tools = ["sensors_battery", "sensors_connectivity", "sensors_motion", "sensors_location"]
    readings = read_from_page(page, gui_app_mcp, tools)

    battery = readings["sensors_battery"]
    assert battery["source"] == "app" and battery["available"] is True
    assert battery["percent"] == 42.0
    assert (battery["state"], battery["plugged_in"]) == ("discharging", False)
    connectivity = readings["sensors_connectivity"]
    assert connectivity["source"] == "app" and connectivity["online"] is True
    assert connectivity["connection_types"] and connectivity["interfaces_up"] == []

    motion = readings["sensors_motion"]
    # Headless Chromium on a server delivers no motion events: a reason, not a hang.
    assert motion["accelerometer"]["available"] is False
    assert "no accelerometer reading" in motion["accelerometer"]["reason"]
    assert motion["barometer"]["available"] is False
    assert "Android or iOS" in motion["barometer"]["reason"]

    location = readings["sensors_location"]
    assert location["available"] is False and location["latitude"] is None
    assert "location_enabled = true" in location["reason"]

    # Flet drops page services nothing references after each UI event: an event
    # must leave the sensors in place.
    page.get_by_role("button", name="MCP").first.click()
    expect(page.get_by_role("group", name=re.compile("Tandem's servers"))).to_be_visible()
    again = run_async_in_thread(lambda: read(gui_app_mcp, ["sensors_battery"]))
    battery = again.result(ANSWER_TIMEOUT_S)["sensors_battery"]
    assert (battery["source"], battery["percent"]) == ("app", 42.0)


def test_location_comes_from_the_browser_when_enabled(
    start_gui: Callable[..., GuiApp], page: Page
) -> None:
    app = start_gui("--mcp-port", str(free_port()), env={"TANDEM_MCP__LOCATION_ENABLED": "true"})
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(BERLIN)

    location = read_from_page(page, app, ["sensors_location"])["sensors_location"]

    assert location["available"] is True, location["reason"]
    assert location["source"] == "app"
    assert abs(location["latitude"] - 52.52) < 1e-6
    assert abs(location["longitude"] - 13.405) < 1e-6
