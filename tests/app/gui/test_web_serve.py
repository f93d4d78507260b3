"""The real web GUI, served offline: the page and its client come from 127.0.0.1 only."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.gui.main import free_port

REPO = Path(__file__).resolve().parents[3]
CDN_HOSTS = ("unpkg.com", "jsdelivr.net", "gstatic.com", "googleapis.com", "cdnjs")
STARTUP_ATTEMPTS = 120  # half a second apart: at most about a minute to come up
STARTUP_POLL_S = 0.5


@pytest.fixture
def web_gui(tmp_path: Path, tiny_gguf: Path) -> Iterator[tuple[str, Path]]:
    """Run `python -m app.gui.main --web --port N` with a tiny model; yield its URL and log."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANDEM_", "FLET_"))}
    env.pop("DISPLAY", None)  # headless, like a server: no browser to open
    env.update(TANDEM_HOME=str(tmp_path / "home"), TANDEM_LOCAL__MODEL=str(tiny_gguf))
    log = tmp_path / "gui.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.gui.main", "--web", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}/", log
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for_page(url: str, log: Path) -> httpx.Response:
    for _ in range(STARTUP_ATTEMPTS):
        try:
            response = httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(STARTUP_POLL_S)
            continue
        if response.status_code == 200:
            return response
        time.sleep(STARTUP_POLL_S)
    pytest.fail(f"the GUI never answered 200 at {url}; its output:\n{log.read_text()}")


def test_web_gui_serves_the_flet_client_offline(web_gui: tuple[str, Path]) -> None:
    url, log = web_gui
    page = wait_for_page(url, log)
    html = page.text

    assert "flutter_bootstrap.js" in html and "flet" in html
    # no_cdn: CanvasKit and fonts are configured to load from this server.
    assert "flet.noCdn=true" in html
    assert 'flet.canvasKitBaseUrl="/canvaskit/"' in html
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", html)
    assert external == []
    assert not [host for host in CDN_HOSTS if host in html]

    for asset in ("flutter_bootstrap.js", "main.dart.js", "canvaskit/canvaskit.js"):
        response = httpx.get(url + asset, timeout=10)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset

    assert f"Tandem is running at {url}" in log.read_text()
