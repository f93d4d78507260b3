"""LanGuard in front of a stand-in app: who gets in, how a phone pairs, what others get.

Everything runs in-process through Starlette's test client (ASGI, websockets included),
over `https://tandem-test.lan:8643`, the name a test maps to loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.lan.devices import PairedDevice, PairedDevices
from app.lan.guard import COOKIE, LanGuard
from app.lan.pairing import PairingCodes
from router.edge.server import create_app
from router.endpoints.fake import FakeEndpoint

PORT = 8643
HOST = f"tandem-test.lan:{PORT}"
BASE = f"https://{HOST}"
WS = f"wss://{HOST}/ws"
FINGERPRINT = "AB:CD:EF"
NAMES = ("tandem-test.lan", "192.168.1.20", "localhost")
APP_TEXT = "the private app"


async def _page(_request: object) -> PlainTextResponse:
    return PlainTextResponse(APP_TEXT)


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(APP_TEXT)
    await websocket.close()


@dataclass
class Site:
    """The guard under test, its stores, and the devices it saw pair."""

    guard: LanGuard
    devices: PairedDevices
    codes: PairingCodes
    paired: list[PairedDevice] = field(default_factory=list)

    def client(self, **options: object) -> TestClient:
        return TestClient(self.guard, BASE, follow_redirects=False, **options)  # type: ignore[arg-type]

    def pair(self, name: str = "Pixel 7") -> str:
        """Pair through the JSON API; return the token."""
        code = self.codes.new_code().code
        response = self.client().post("/pair", json={"code": code, "name": name})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    app = Starlette(routes=[Route("/", _page), WebSocketRoute("/ws", _socket)])
    edge = create_app(FakeEndpoint(name="local"), model_id="tandem-edge", api_key=None)
    devices, codes = PairedDevices(tmp_path / "devices.json"), PairingCodes()
    made = Site(LanGuard(app, names=NAMES, port=PORT, devices=devices, codes=codes,
                         fingerprint=FINGERPRINT, edge=edge), devices, codes)  # fmt: skip
    made.guard.on_paired = made.paired.append
    yield made


def test_an_unpaired_browser_gets_the_pairing_page_and_never_the_app(site: Site) -> None:
    response = site.client().get("/", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert APP_TEXT not in response.text
    assert 'action="/pair"' in response.text and "not paired" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_an_unpaired_api_call_gets_401_in_anthropic_s_shape(site: Site) -> None:
    response = site.client().get("/main.dart.js")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert APP_TEXT not in response.text


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{PORT}", "tandem-test.lan:1"])
def test_any_other_host_is_refused_even_for_a_paired_device(site: Site, host: str) -> None:
    token = site.pair()
    response = site.client(cookies={COOKIE: token}).get("/", headers={"Host": host})
    assert response.status_code == 403 and APP_TEXT not in response.text
    assert site.client().get("/pair", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("origin", ["https://evil.example", f"http://{HOST}", "null"])
def test_a_request_from_another_site_s_page_is_refused(site: Site, origin: str) -> None:
    token = site.pair()
    response = site.client(cookies={COOKIE: token}).get("/", headers={"Origin": origin})
    assert response.status_code == 403
    code = site.codes.new_code().code
    forged = site.client().post("/pair", data={"code": code}, headers={"Origin": origin})
    assert forged.status_code == 403 and site.codes.current is not None  # the code not spent


def test_every_served_name_with_the_port_is_answered(site: Site) -> None:
    token = site.pair()
    for name in NAMES:
        headers = {"Host": f"{name}:{PORT}", "Origin": f"https://{name}:{PORT}"}
        response = site.client(cookies={COOKIE: token}).get("/", headers=headers)
        assert (response.status_code, response.text) == (200, APP_TEXT)


def test_the_pairing_page_prefills_the_code_from_the_qr_link(site: Site) -> None:
    response = site.client().get("/pair?code=K7QD-M2XP")
    assert response.status_code == 200
    assert 'value="K7QD-M2XP"' in response.text
    nonce = response.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.text
    assert "http" not in response.text.replace(BASE, "")  # no outside resource at all


def test_pairing_by_form_sets_a_strict_secure_cookie_and_opens_the_app(site: Site) -> None:
    code = site.codes.new_code().code
    client = site.client()
    response = client.post("/pair", data={"code": code, "name": "Anna's phone"})
    assert (response.status_code, response.headers["location"]) == (303, "/")
    cookie = response.headers["set-cookie"]
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Max-Age=31536000", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert client.get("/").text == APP_TEXT
    assert [d.name for d in site.paired] == ["Anna's phone"]
    assert [d.name for d in site.devices.list()] == ["Anna's phone"]


def test_pairing_by_json_returns_the_token_the_edge_url_and_the_fingerprint(site: Site) -> None:
    code = site.codes.new_code().code
    response = site.client().post("/pair", json={"code": code, "name": "Tandem app"})
    assert response.status_code == 200
    body = response.json()
    assert body["edge_url"] == f"{BASE}/v1" and body["fingerprint"] == FINGERPRINT
    (device,) = site.devices.list()
    assert body["device_id"] == device.device_id
    assert site.devices.check(body["token"]) is not None


def test_a_wrong_code_is_403_with_a_sentence(site: Site) -> None:
    site.codes.new_code()
    as_json = site.client().post("/pair", json={"code": "AAAA-AAAA", "name": "x"})
    assert as_json.status_code == 403
    assert "pairing code" in as_json.json()["error"]["message"]
    as_form = site.client().post("/pair", data={"code": "AAAA-AAAA", "name": "x"})
    assert as_form.status_code == 403 and "pairing code is not" in as_form.text
    assert "set-cookie" not in as_form.headers and site.devices.list() == []


def test_an_expired_code_is_403(site: Site) -> None:
    code = site.codes.new_code()
    site.codes.current = type(code)(code.code, code.expires_at.replace(year=2000))
    response = site.client().post("/pair", json={"code": code.code, "name": "x"})
    assert response.status_code == 403 and "expired" in response.json()["error"]["message"]


def test_too_many_attempts_get_429_with_retry_after(site: Site) -> None:
    code = site.codes.new_code().code
    for _ in range(5):
        site.client().post("/pair", json={"code": "WRONG", "name": "x"})
    response = site.client().post("/pair", json={"code": code, "name": "x"})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"]["type"] == "rate_limit_error"


def test_a_malformed_pairing_request_is_400(site: Site) -> None:
    site.codes.new_code()
    response = site.client().post(
        "/pair", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert site.client().post("/pair", content=b"x" * 20_000).status_code in (400, 413)


def test_a_revoked_device_is_refused(site: Site) -> None:
    token = site.pair()
    client = site.client(cookies={COOKIE: token})
    assert client.get("/").text == APP_TEXT
    site.devices.revoke(site.paired[0].device_id)
    response = client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 401 and APP_TEXT not in response.text
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(WS, headers={"Origin": BASE}) as socket,
    ):
        socket.receive_text()
    assert "not paired" in closed.value.reason


def test_a_websocket_without_pairing_is_closed_before_accept(site: Site) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        site.client().websocket_connect(WS, headers={"Origin": BASE}) as socket,
    ):
        socket.receive_text()
    assert closed.value.code == 1008 and "not paired" in closed.value.reason


def test_a_paired_websocket_needs_its_own_origin(site: Site) -> None:
    client = site.client(cookies={COOKIE: site.pair()})
    with client.websocket_connect(WS, headers={"Origin": BASE}) as socket:
        assert socket.receive_text() == APP_TEXT
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(WS) as socket:
        socket.receive_text()
    assert "own page" in closed.value.reason


@pytest.mark.parametrize("path", ["/manifest.webmanifest", "/manifest.json"])
def test_the_manifest_is_public(site: Site, path: str) -> None:
    response = site.client().get(path)
    assert response.status_code == 200
    manifest = response.json()
    assert (manifest["name"], manifest["display"]) == ("Tandem", "standalone")
    for entry in manifest["icons"]:
        icon = site.client().get(entry["src"])
        assert icon.status_code == 200 and icon.content.startswith(b"\x89PNG")
        assert icon.headers["content-type"] == "image/png"


def test_the_edge_api_answers_a_paired_bearer_token(site: Site) -> None:
    token = site.pair()
    request = {"model": "tandem-edge", "max_tokens": 20,
               "messages": [{"role": "user", "content": "hello phone"}]}  # fmt: skip
    for headers in ({"Authorization": f"Bearer {token}"}, {"x-api-key": token}):
        response = site.client().post("/v1/messages", json=request, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["content"][0]["text"] == "echo: hello phone"


def test_the_edge_api_refuses_a_call_without_a_paired_token(site: Site) -> None:
    request = {"model": "tandem-edge", "max_tokens": 20,
               "messages": [{"role": "user", "content": "hello"}]}  # fmt: skip
    for headers in ({}, {"Authorization": "Bearer guess"}, {"x-api-key": "guess"}):
        response = site.client().post("/v1/messages", json=request, headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert (body["type"], body["error"]["type"]) == ("error", "authentication_error")
        assert "pair" in body["error"]["message"]


def test_a_damaged_list_of_devices_refuses_everyone_with_503(site: Site) -> None:
    token = site.pair()
    site.devices.path.write_text("{ half a file")
    response = site.client(cookies={COOKIE: token}).get("/")
    assert response.status_code == 503 and APP_TEXT not in response.text
    assert "list of paired devices" in response.json()["error"]["message"]
    code = site.codes.new_code().code
    assert site.client().post("/pair", json={"code": code, "name": "x"}).status_code == 503
    assert site.client().get("/manifest.webmanifest").status_code == 200
