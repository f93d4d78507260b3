"""Browser end-to-end fixtures: the real web GUI driven by Debian's Chromium via Playwright.

Fixtures
- `start_gui(*args, env=None) -> GuiApp`: launch `python -m app.gui.main --web --port N
  [args...]` (TANDEM_HOME in tmp, the tiny test GGUF as the local model); waits until the
  link it printed (with its launch secret, `.url`) serves the page; every app it started is
  stopped after the test (SIGTERM, then kill).
- `gui_app -> GuiApp`: one such app with no extra arguments.
- `gui_app_mcp -> GuiApp`: one started with `--mcp-port M`; `.mcp_url` and `.mcp_token`
  reach its in-app MCP server, which starts when the first page opens (the camera
  lives on a page): call `open_app` and then `wait_for_mcp(app)`.
- `browser` (session): headless Chromium from /usr/bin/chromium (never `playwright
  install`), with a fake camera and auto-granted media permission.
- `page`: a fresh browser context and page (1280x800), closed after the test.

Helpers (import from `tests.e2e.conftest`)
- `open_app(page, url)`: load the app with Flutter's semantics tree on from its start
  (before any field takes the keyboard), so `page.get_by_role/get_by_label/get_by_text`
  see the controls and clicks focus fields; wait until the app's controls show.
- `wait_for_app(page)`: wait until the app's controls show (`open_app`'s last step).
- `wait_for_mcp(app)`: wait until the app's MCP server answers.
- `run_async_in_thread(make) -> Future`: run `await make()` on its own loop in a thread.
- `screenshot(page, name) -> Path`: a PNG under `shots_dir()`: $TANDEM_E2E_SHOTS, else a
  temp folder.

Playwright's sync API is used; code that needs asyncio (an MCP client) runs it in a
thread (`run_async_in_thread`), because the sync API refuses to run inside an event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.gui.main import free_port
from tests.app.cli_support import gui_env, printed_web_url, stop_process

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--enable-unsafe-swiftshader",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
FLUTTER_START_MS = 90_000
_T = TypeVar("_T")
_SEMANTICS_AT_START = """new MutationObserver((changes, observer) => {
    const placeholder = document.querySelector('flt-semantics-placeholder');
    if (placeholder) {
        observer.disconnect();
        placeholder.click();  // it sits outside the viewport: a real click could not reach it
    }
}).observe(document, {childList: true, subtree: true});"""
_APP_SHOWN = """() => [...document.querySelectorAll('flt-semantics')].some((e) => {
    const text = (e.innerText || e.getAttribute('aria-label') || '').trim();
    return text && text !== 'Working...';  // Flet's own progress while it connects
})"""


@dataclass(frozen=True)
class GuiApp:
    """A running web GUI: where to open it and what it wrote."""

    url: str
    """The link the app printed, with its launch secret: what the user's browser opens."""
    log: Path
    home: Path
    mcp_url: str | None = None
    mcp_token: str | None = None

    def output(self) -> str:
        """Everything the app printed so far (for failure messages)."""
        return self.log.read_text(errors="replace")


E2E_RERUNS = 2
"""Browser tests run again after a failure, as a net while the focus fix (semantics on
before the first field takes the keyboard; no tooltip moving the semantics tree while
typing) proves itself in CI: a real regression still fails all three runs, and any rerun
is reported (`R` in the output), so a remaining flake stays visible."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every browser test to rerun up to `E2E_RERUNS` times (pytest-rerunfailures)."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.flaky(reruns=E2E_RERUNS, reruns_delay=2))


@pytest.fixture
def start_gui(tmp_path: Path, tiny_gguf: Path) -> Iterator[Callable[..., GuiApp]]:
    """A factory that launches web GUIs for this test and stops them all afterwards."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> GuiApp:
        port = free_port()
        home = tmp_path / f"home{len(procs)}"
        environ = gui_env(home, tiny_gguf, **(env or {}))  # headless: no browser window
        log = tmp_path / f"gui{len(procs)}.log"
        argv = [sys.executable, "-m", "app.gui.main", "--web", "--port", str(port), *args]
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, cwd=REPO, env=environ, stdout=out, stderr=out)
        procs.append(proc)
        return GuiApp(wait_until_serving(log, proc), log, home, *_mcp_address(args, home))

    yield start
    for proc in procs:
        stop_process(proc, signal.SIGTERM, STOP_TIMEOUT_S)


@pytest.fixture
def gui_app(start_gui: Callable[..., GuiApp]) -> GuiApp:
    """The web GUI with default settings."""
    return start_gui()


@pytest.fixture
def gui_app_mcp(start_gui: Callable[..., GuiApp]) -> GuiApp:
    """The web GUI with its in-app MCP server on a free loopback port."""
    return start_gui("--mcp-port", str(free_port()))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium with a fake camera whose permission is granted.

    Module-scoped, not session-scoped: Playwright's sync API keeps an event loop
    running in the main thread while it is open, and every asyncio test after
    the browser tests would then fail with "cannot be called from a running
    event loop".
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context (no shared storage between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


def open_app(page: Page, url: str) -> None:
    """Open the Flet app at `url` with Flutter's semantics tree on from its start.

    Semantics (what `page.get_by_role/get_by_label` read) is switched on by a click on
    Flutter's hidden placeholder. The click is made by a script in the page the moment the
    placeholder exists, before the app's controls arrive over the websocket: Flutter picks
    its text-input strategy once per page, when a field first takes the keyboard (the chat
    field's autofocus). Picked before semantics is on, the keyboard stays with a hidden
    editing element of Flutter's own, and the field's accessible <textarea> can never hold
    the focus (each click on it is taken back at once).
    """
    page.add_init_script(_SEMANTICS_AT_START)
    page.goto(url)
    wait_for_app(page)


def wait_for_app(page: Page) -> None:
    """Wait until the app's controls show: they arrive over the websocket after Flutter starts
    (for a page that reached the app by other means than `open_app`, e.g. a redirect)."""
    page.wait_for_function(_APP_SHOWN, timeout=FLUTTER_START_MS)


def shots_dir() -> Path:
    """Where pictures go: $TANDEM_E2E_SHOTS, else <temp dir>/e2e (created)."""
    folder = Path(os.environ.get("TANDEM_E2E_SHOTS") or Path(tempfile.gettempdir()) / "e2e")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, name: str) -> Path:
    """Save a PNG of the page as `<name>.png` under `shots_dir()`."""
    path = shots_dir() / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path))
    return path


def run_async_in_thread(make: Callable[[], Awaitable[_T]]) -> Future[_T]:
    """Run the coroutine `make()` on its own event loop in a thread; return its future."""
    future: Future[_T] = Future()

    def worker() -> None:
        try:
            future.set_result(asyncio.run(_awaited(make)))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=worker, daemon=True).start()
    return future


async def _awaited(make: Callable[[], Awaitable[_T]]) -> _T:
    return await make()


def _mcp_address(args: tuple[str, ...], home: Path) -> tuple[str | None, str | None]:
    if "--mcp-port" not in args:
        return None, None
    from mcp_servers.http_serve import load_or_create_token
    from router.paths import resolve_paths

    port = args[args.index("--mcp-port") + 1]
    # Created here first; the app reads the same file (O_EXCL keeps one token).
    token = load_or_create_token(resolve_paths(home))
    return f"http://127.0.0.1:{port}/mcp", token


def wait_until_serving(log: Path, proc: subprocess.Popen[Any], who: str = "the GUI") -> str:
    """Wait until `who` (the app `proc`, printing to `log`) serves the link it printed (with
    its launch secret); return the link."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if proc.poll() is not None:
            pytest.fail(f"{who} exited with {proc.returncode}; its output:\n{output}")
        link = printed_web_url(output)
        try:
            if link and httpx.get(link, follow_redirects=True, timeout=5).status_code == 200:
                return link
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{who} never served the link it printed; its output:\n{log.read_text()}")


def wait_for_mcp(app: GuiApp) -> None:
    """Wait until the app's MCP server answers (any status: 401 without a token is fine)."""
    url = app.mcp_url
    assert url is not None, "start the app with --mcp-port (the gui_app_mcp fixture)"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    pytest.fail(f"the in-app MCP server never answered at {url}; output:\n{app.output()}")
