"""`lan_device()`: what LanGuard passes on runs marked with the paired device; the user's own
loopback view (WebGuard) is not marked; tasks the app starts inherit the mark.

Flet runs a page in a task started from its websocket handler, so the websocket case is the
one the shell relies on to leave the Phones section out of a phone's page.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from app.gui.web_guard import WebGuard
from app.lan.devices import PairedDevices
from app.lan.guard import COOKIE, LanGuard
from app.lan.pairing import PairingCodes
from app.lan.reach import lan_device

PORT = 8643
BASE = f"https://tandem-test.lan:{PORT}"
LOOPBACK_PORT = 8550
SECRET = "launch-secret-" + "x" * 30


def _device_id() -> str | None:
    device = lan_device()
    return device.device_id if device is not None else None


async def _seen() -> dict[str, str | None]:
    """The device seen here and in a task started here, as a page's own task is."""
    in_task = await asyncio.create_task(_in_task())
    return {"here": _device_id(), "task": in_task}


async def _in_task() -> str | None:
    return _device_id()


async def _page(_request: Request) -> JSONResponse:
    return JSONResponse(await _seen())


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json(await _seen())
    await websocket.close()


def recording_app() -> ASGIApp:
    """A stand-in for the Flet app that reports which device it serves."""
    return Starlette(routes=[Route("/", _page), WebSocketRoute("/ws", _socket)])


def lan_client(tmp_path: Path) -> tuple[TestClient, PairedDevices, PairingCodes]:
    devices, codes = PairedDevices(tmp_path / "devices.json"), PairingCodes()
    guard = LanGuard(recording_app(), names=("tandem-test.lan",), port=PORT, devices=devices,
                     codes=codes, fingerprint="AB:CD")  # fmt: skip
    return TestClient(guard, BASE, follow_redirects=False), devices, codes


def pair(client: TestClient, codes: PairingCodes, name: str) -> tuple[str, str]:
    """Pair `name` through the JSON API; its device id and token."""
    response = client.post("/pair", json={"code": codes.new_code().code, "name": name})
    assert response.status_code == 200, response.text
    return response.json()["device_id"], response.json()["token"]


def test_a_paired_request_runs_as_its_own_device_and_its_tasks_too(tmp_path: Path) -> None:
    client, _, codes = lan_client(tmp_path)
    pixel_id, pixel_token = pair(client, codes, "Pixel 7")
    tablet_id, tablet_token = pair(client, codes, "Tablet")

    for device_id, token in ((pixel_id, pixel_token), (tablet_id, tablet_token)):
        bearer = {"Authorization": f"Bearer {token}"}
        seen = client.get("/", headers=bearer).json()
        assert seen == {"here": device_id, "task": device_id}


def test_a_paired_websocket_and_the_tasks_it_starts_know_the_device(tmp_path: Path) -> None:
    client, _, codes = lan_client(tmp_path)
    device_id, token = pair(client, codes, "Pixel 7")
    client.cookies.set(COOKIE, token)
    with client.websocket_connect(f"wss://tandem-test.lan:{PORT}/ws",
                                  headers={"Origin": BASE}) as socket:  # fmt: skip
        assert socket.receive_json() == {"here": device_id, "task": device_id}


def test_the_user_s_own_loopback_view_serves_no_device() -> None:
    guard = WebGuard(recording_app(), LOOPBACK_PORT, SECRET)
    base = f"http://127.0.0.1:{LOOPBACK_PORT}"
    client = TestClient(guard, base, cookies={f"tandem_web_{LOOPBACK_PORT}": SECRET})
    assert client.get("/").json() == {"here": None, "task": None}
    with client.websocket_connect(f"ws://127.0.0.1:{LOOPBACK_PORT}/ws",
                                  headers={"Origin": base}) as socket:  # fmt: skip
        assert socket.receive_json() == {"here": None, "task": None}
