"""A phone revoked while its page is open: the next message it sends closes its websocket,
and the app never sees that message; a phone still paired goes on as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.lan.devices import PairedDevices
from app.lan.guard import COOKIE, LanGuard
from app.lan.live import REVOKED_CLOSE_CODE
from app.lan.pairing import PairingCodes

PORT = 8643
BASE = f"https://tandem-test.lan:{PORT}"
WS_URL = f"wss://tandem-test.lan:{PORT}/ws"


class EchoApp:
    """A stand-in for Flet's websocket: echoes each message and records what arrived."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.app = Starlette(routes=[WebSocketRoute("/ws", self._socket)])

    async def _socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                text = await websocket.receive_text()
                self.arrived.append(text)
                await websocket.send_text(f"echo {text}")
        except WebSocketDisconnect:
            return


def paired_client(tmp_path: Path, echo: EchoApp) -> tuple[TestClient, PairedDevices, str]:
    devices, codes = PairedDevices(tmp_path / "devices.json"), PairingCodes()
    guard = LanGuard(echo.app, names=("tandem-test.lan",), port=PORT, devices=devices,
                     codes=codes, fingerprint="AB:CD")  # fmt: skip
    client = TestClient(guard, BASE, follow_redirects=False)
    response = client.post("/pair", json={"code": codes.new_code().code, "name": "Pixel 7"})
    assert response.status_code == 200, response.text
    client.cookies.set(COOKIE, response.json()["token"])
    return client, devices, response.json()["device_id"]


def test_a_revoked_phone_s_open_websocket_is_closed_at_its_next_message(tmp_path: Path) -> None:
    echo = EchoApp()
    client, devices, device_id = paired_client(tmp_path, echo)
    with client.websocket_connect(WS_URL, headers={"Origin": BASE}) as socket:
        socket.send_text("before")
        assert socket.receive_text() == "echo before"

        devices.revoke(device_id)
        socket.send_text("after the revoke")

        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == REVOKED_CLOSE_CODE
    assert echo.arrived == ["before"]


def test_a_revoke_from_another_process_cuts_the_open_websocket_too(tmp_path: Path) -> None:
    echo = EchoApp()
    client, _devices, device_id = paired_client(tmp_path, echo)
    with client.websocket_connect(WS_URL, headers={"Origin": BASE}) as socket:
        PairedDevices(tmp_path / "devices.json").revoke(device_id)  # `tandem devices revoke`
        socket.send_text("hello")
        with pytest.raises(WebSocketDisconnect):
            socket.receive_text()
    assert echo.arrived == []


def test_a_phone_still_paired_keeps_its_websocket(tmp_path: Path) -> None:
    echo = EchoApp()
    client, _devices, _ = paired_client(tmp_path, echo)
    with client.websocket_connect(WS_URL, headers={"Origin": BASE}) as socket:
        for text in ("one", "two", "three"):
            socket.send_text(text)
            assert socket.receive_text() == f"echo {text}"
    assert echo.arrived == ["one", "two", "three"]
