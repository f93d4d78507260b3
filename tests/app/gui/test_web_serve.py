"""The real web GUI: served offline, and to the user who launched it only.

One `python -m app.gui.main --web` serves every test here. Requests are forged the way a
DNS-rebinding page or another local process would send them: another `Host`, another
`Origin`, no launch secret, a wrong one.
"""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Origin

from app.gui.main import free_port
from tests.app.cli_support import gui_env, printed_web_url, stop_process
from tests.app.test_clean_stop import register_client

REPO = Path(__file__).resolve().parents[3]
CDN_HOSTS = ("unpkg.com", "jsdelivr.net", "gstatic.com", "googleapis.com", "cdnjs")
START_WITHIN_S = 90.0
EVIL = "evil.example"


@dataclass(frozen=True)
class WebGui:
    """A running `--web` app: its port, the link it printed, its output."""

    port: int
    link: str
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def web_gui(tmp_path_factory: pytest.TempPathFactory, tiny_gguf: Path) -> Iterator[WebGui]:
    """Run `python -m app.gui.main --web --port N` with a tiny model until the module ends."""
    tmp = tmp_path_factory.mktemp("web")
    port = free_port()
    env = gui_env(tmp / "home", tiny_gguf)  # headless, like a server: no browser to open
    log = tmp / "gui.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.gui.main", "--web", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield WebGui(port, _wait_until_serving(proc, port, log), log)
    finally:
        stop_process(proc)


def _wait_until_serving(proc: subprocess.Popen[bytes], port: int, log: Path) -> str:
    deadline = time.monotonic() + START_WITHIN_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}:\n{log.read_text()}"
        link = printed_web_url(log.read_text(errors="replace"))
        try:
            if link and httpx.get(f"http://127.0.0.1:{port}/", timeout=5):
                return link
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the GUI never answered on port {port}; its output:\n{log.read_text()}")


@contextmanager
def signed_in(gui: WebGui) -> Iterator[httpx.Client]:
    """A client that opened the printed link, as the user's browser does."""
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        assert client.get(gui.link).status_code == 200
        yield client


def handshake_status(port: int, headers: dict[str, str]) -> int:
    """The HTTP status a websocket handshake to /ws gets (101: the socket is open)."""
    lines = [
        "GET /ws HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_web_gui_serves_the_flet_client_offline(web_gui: WebGui) -> None:
    with signed_in(web_gui) as client:
        html = client.get(web_gui.base).text

        assert "flutter_bootstrap.js" in html and "flet" in html
        # no_cdn: CanvasKit and fonts are configured to load from this server.
        assert "flet.noCdn=true" in html
        assert 'flet.canvasKitBaseUrl="/canvaskit/"' in html
        external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", html)
        assert external == []
        assert not [host for host in CDN_HOSTS if host in html]

        for asset in ("flutter_bootstrap.js", "main.dart.js", "canvaskit/canvaskit.js"):
            response = client.get(web_gui.base + asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 1000, asset


def test_the_printed_link_carries_a_launch_secret(web_gui: WebGui) -> None:
    link = urlsplit(web_gui.link)
    assert (link.scheme, link.netloc, link.path) == ("http", f"127.0.0.1:{web_gui.port}", "/")
    assert re.fullmatch(r"token=[\w-]{40,}", link.query)
    assert f"Tandem is running at {web_gui.link} (Ctrl-C to stop)" in web_gui.log.read_text()


def test_the_link_sets_a_strict_cookie_and_drops_the_secret_from_the_address(
    web_gui: WebGui,
) -> None:
    response = httpx.get(web_gui.link, timeout=10)

    assert response.is_redirect and response.headers["location"] == "/"
    cookie = {part.strip().lower() for part in response.headers["set-cookie"].split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= cookie
    secret = urlsplit(web_gui.link).query.removeprefix("token=")
    assert f"tandem_web_{web_gui.port}={secret}".lower() in cookie


def test_without_the_secret_nothing_is_served(web_gui: WebGui) -> None:
    for path in ("", "main.dart.js", "?token=not-the-secret"):
        response = httpx.get(web_gui.base + path, timeout=10)
        assert response.status_code in (401, 403), path
        assert "flutter" not in response.text
    assert "Open the link Tandem printed" in httpx.get(web_gui.base, timeout=10).text
    host = f"127.0.0.1:{web_gui.port}"
    assert handshake_status(web_gui.port, {"Host": host, "Origin": web_gui.origin}) == 403


def test_a_forged_host_is_refused_even_with_the_secret(web_gui: WebGui) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: `Host: evil.example`."""
    with signed_in(web_gui) as client:
        assert client.get(web_gui.base).status_code == 200
        forged = client.get(web_gui.base, headers={"Host": f"{EVIL}:{web_gui.port}"})
        assert forged.status_code == 403
        assert "flutter" not in forged.text
    bare = httpx.get(web_gui.base, headers={"Host": EVIL}, timeout=10)
    assert bare.status_code == 403


def test_a_websocket_from_another_site_is_refused(web_gui: WebGui) -> None:
    with signed_in(web_gui) as client:
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    host = f"127.0.0.1:{web_gui.port}"
    rebound = {"Host": f"{EVIL}:{web_gui.port}", "Origin": f"http://{EVIL}:{web_gui.port}"}
    assert handshake_status(web_gui.port, {**rebound, "Cookie": cookie}) == 403
    other_page = {"Host": host, "Origin": f"http://{EVIL}", "Cookie": cookie}
    assert handshake_status(web_gui.port, other_page) == 403
    assert handshake_status(web_gui.port, {"Host": host, "Cookie": cookie}) == 403  # no Origin


def test_the_cookie_opens_the_apps_websocket(web_gui: WebGui) -> None:
    with signed_in(web_gui) as client:
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    url = f"ws://127.0.0.1:{web_gui.port}/ws"

    async def first_message() -> bytes | str:
        origin = Origin(web_gui.origin)
        async with connect(url, origin=origin, additional_headers={"Cookie": cookie}) as tab:
            await tab.send(register_client())
            return await asyncio.wait_for(tab.recv(), START_WITHIN_S)

    assert asyncio.run(first_message())
