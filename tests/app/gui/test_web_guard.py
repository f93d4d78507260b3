"""WebGuard in front of a stand-in app: which callers get through, and what the others get.

The real app behind the real server is tested in test_web_serve.py; here every case of the
checks runs in-process (Starlette's test client speaks ASGI, websockets included).
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.gui.web_guard import WebGuard

PORT = 8550
SECRET = "launch-secret-" + "x" * 30
ORIGIN = f"http://127.0.0.1:{PORT}"
COOKIE = {f"tandem_web_{PORT}": SECRET}
WS = f"ws://127.0.0.1:{PORT}/ws"


async def _page(_request: object) -> PlainTextResponse:
    return PlainTextResponse("the app")


async def _socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


def client(host: str = f"127.0.0.1:{PORT}", cookies: dict[str, str] | None = None) -> TestClient:
    """A client of WebGuard wrapped around a stand-in app, addressing the server as `host`."""
    app = Starlette(routes=[Route("/", _page), WebSocketRoute("/ws", _socket)])
    guard = WebGuard(app, PORT, SECRET)
    return TestClient(guard, f"http://{host}", follow_redirects=False, cookies=cookies)


def test_the_launch_url_carries_the_secret_and_a_fresh_one_each_launch() -> None:
    assert WebGuard(Starlette(), PORT, SECRET).launch_url == f"{ORIGIN}/?token={SECRET}"
    first, second = WebGuard(Starlette(), PORT), WebGuard(Starlette(), PORT)
    assert first.secret != second.secret and len(first.secret) >= 40


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}"])
def test_the_server_s_own_names_with_the_cookie_are_served(host: str) -> None:
    response = client(host, COOKIE).get("/")
    assert (response.status_code, response.text) == (200, "the app")


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:9999", "127.0.0.1", ""]
)
def test_any_other_host_is_refused_even_with_the_cookie(host: str) -> None:
    response = client(cookies=COOKIE).get("/", headers={"Host": host})
    assert response.status_code == 403
    assert "the app" not in response.text and "link Tandem printed" in response.text


@pytest.mark.parametrize("origin", ["http://evil.example", f"http://evil.example:{PORT}", "null"])
def test_a_request_from_another_site_s_page_is_refused(origin: str) -> None:
    response = client(cookies=COOKIE).post("/", headers={"Origin": origin})
    assert response.status_code == 403


def test_without_the_secret_the_user_is_told_to_open_the_printed_link() -> None:
    response = client().get("/")
    assert response.status_code == 401
    assert f"Open the link Tandem printed in the terminal ({ORIGIN}/?token=" in response.text
    assert client(cookies={f"tandem_web_{PORT}": "guess"}).get("/").status_code == 401
    assert client(cookies={"tandem_web_9999": SECRET}).get("/").status_code == 401


def test_the_link_swaps_the_token_for_a_strict_http_only_cookie() -> None:
    response = client().get(f"/?token={SECRET}&lang=en")
    assert response.status_code == 303
    assert response.headers["location"] == "/?lang=en"  # the secret leaves the address bar
    cookie = {part.strip().lower() for part in response.headers["set-cookie"].split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= cookie
    assert f"tandem_web_{PORT}={SECRET}".lower() in cookie


@pytest.mark.parametrize("token", ["wrong", "", SECRET + "x", "é"])
def test_a_wrong_token_is_refused(token: str) -> None:
    response = client().get("/", params={"token": token})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_the_app_s_websocket_opens_with_the_cookie_or_the_token() -> None:
    with client(cookies=COOKIE).websocket_connect(WS, headers={"Origin": ORIGIN}) as ws:
        assert ws.receive_text() == "hello"
    with client().websocket_connect(f"{WS}?token={SECRET}", headers={"Origin": ORIGIN}) as ws:
        assert ws.receive_text() == "hello"


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example", "Origin": "http://evil.example"},  # DNS rebinding
        {"Origin": "http://evil.example"},  # another site's page
        {},  # no Origin: not a browser tab of the app
    ],
    ids=["rebound", "cross-site", "no-origin"],
)
def test_a_websocket_from_anywhere_else_is_closed_before_it_opens(headers: dict[str, str]) -> None:
    with pytest.raises(WebSocketDisconnect) as closed:
        client(cookies=COOKIE).websocket_connect(WS, headers=headers).__enter__()
    assert closed.value.code == 1008


def test_a_websocket_without_the_secret_is_closed_before_it_opens() -> None:
    with pytest.raises(WebSocketDisconnect):
        client().websocket_connect(WS, headers={"Origin": ORIGIN}).__enter__()
