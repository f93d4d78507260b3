"""Starts the Tandem GUI, as a desktop window or served to a browser.

A desktop window needs Flet's desktop client; without it (or with `web=True`)
the same app is served to a browser on 127.0.0.1, to the user's own tab only: the
link Tandem prints carries a per-launch secret, and `Host` and `Origin` are checked on
every request (app/gui/web_guard.py).

The web client comes from the `flet-web` package and is served with
`no_cdn=True`, so the page works offline: nothing is fetched from a CDN. Tandem runs
that server itself (uvicorn), so a stop never waits on an open browser tab.
With `--lan` it is also served over HTTPS to paired phones on the LAN (app/lan/).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import socket
import sys
import weakref
import webbrowser
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableSet, Sequence
from typing import Any

import flet as ft
import uvicorn

from app.gui.services.camera import attach_camera
from app.gui.services.mcp_server import AppMcpService
from app.gui.services.sensors import attach_sensors
from app.gui.shell.view import show_shell
from app.gui.web_app import flet_web_app
from app.gui.web_guard import WebGuard
from app.lan.options import LanLaunch, add_lan_arguments
from app.lan.service import LanService, PageMain
from app.lan.terminal import start_lan_view
from app.progress import terminal_progress
from app.shutdown import STOPPER
from router import Runtime, TandemError, build_runtime

HOST = "127.0.0.1"
CLIENTS_GRACE_S = 1
"""On a stop, how long open connections (browser tabs, MCP clients) get to close."""
TASKS_GRACE_S = 2.0
"""On a stop, how long cancelled turns and page tasks get to record how they ended."""
RECANCEL_S = 0.25


def free_port(host: str = HOST) -> int:
    """Return a TCP port on `host` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def desktop_available() -> bool:
    """Return True if a desktop window can be opened: `flet-desktop` and a display exist."""
    if importlib.util.find_spec("flet_desktop") is None:
        return False
    # On a Linux box without a display Flet would silently switch to a web
    # server on port 8000; deciding here keeps the port and the message ours.
    return not (sys.platform.startswith("linux") and not _has_display())


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def browser_available() -> bool:
    """Return True if Python's `webbrowser` can find a browser to open the app in."""
    if sys.platform.startswith("linux") and not _has_display():
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def make_app(
    runtime: Runtime, pages: MutableSet[ft.Page] | None = None
) -> Callable[[ft.Page], Awaitable[None]]:
    """Return Flet's per-page entry point; every browser tab gets its own shell and view-models.

    All pages share `runtime`, so the model is loaded once for all of them. Each page is
    added to `pages` (a stop closes their desktop windows).
    """

    async def main(page: ft.Page) -> None:
        if pages is not None:
            pages.add(page)
        attach_sensors(page, AppMcpService.for_runtime(runtime))
        await attach_camera(page, AppMcpService.for_runtime(runtime))
        show_shell(page, runtime)

    return main


def run_gui(
    *,
    web: bool = False,
    port: int | None = None,
    model: str | None = None,
    mcp_port: int | None = None,
    lan: bool = False,
    lan_host: str | None = None,
) -> None:
    """Build the runtime and run the GUI until the window closes, Ctrl-C or SIGTERM.

    A stop signal closes the window (or stops serving, whatever tabs are open), cancels the
    turns in flight and closes the runtime within seconds (app/shutdown.py).

    `web` serves the app on http://127.0.0.1:`port`/ (a free port if None), opened through
    the printed link with its per-launch secret, instead of opening a desktop window; without
    `flet-desktop` (it downloads its client on first run, so offline it is missing) the web
    view is used too.
    `model` overrides the configured model spec. `mcp_port` starts the app's MCP
    server on 127.0.0.1:`mcp_port` when the first page opens. Raises `TandemError` if the
    model cannot be found.

    `lan` also serves the app over HTTPS to paired phones on `lan_host` (default 0.0.0.0):
    `port` is then the LAN view's port (default 8643) and the loopback view takes a free one.
    """
    if not web and not lan and not desktop_available():
        print("The desktop client (flet-desktop) is not available; serving the web view instead.")
        web = True
    runtime = build_runtime(model=model, progress=terminal_progress("Preparing the model"))
    STOPPER.add_last_words(runtime.ledger.interrupt_open_turns)
    # Created before any page: it lends the chat's own tools (runtime.devices) the app's
    # sensors and camera, so the chat reads the phone a page runs on.
    AppMcpService.for_runtime(runtime).launch_port = mcp_port
    pages: weakref.WeakSet[ft.Page] = weakref.WeakSet()
    main = make_app(runtime, pages)
    LanService.for_runtime(runtime).page_main = main  # the Phones panel may serve it later
    if lan:
        asyncio.run(_serve_web(main, runtime, free_port(), LanLaunch(port, lan_host)))
    elif web:
        asyncio.run(_serve_web(main, runtime, port or free_port()))
    else:
        asyncio.run(_run_desktop(main, runtime, pages))


class _WebServer(uvicorn.Server):
    """uvicorn's server without its own signal handling: `STOPPER` decides (app/shutdown.py)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_web(
    main: PageMain, runtime: Runtime, port: int, lan: LanLaunch | None = None
) -> None:
    # Served here rather than by `ft.run(view=WEB_BROWSER)`: Flet's server waits, without a
    # limit, for every websocket to close before it stops, and one that never registered a
    # session never closes, so a browser tab kept `tandem --web` alive after SIGTERM.
    try:
        sock = _listen(port)
        app = flet_web_app(main)
        guard = WebGuard(app, port)  # only the user's own tab, signed in by the printed link
        LanService.for_runtime(runtime).web_app = app  # one Flet app (and lifespan) for both
        config = uvicorn.Config(
            guard,
            ws="websockets-sansio",  # what Flet's own server uses
            log_config=None,  # uvicorn's records go to the log file (app/logs.py)
            log_level="warning",
            timeout_graceful_shutdown=CLIENTS_GRACE_S,
        )
        server = _WebServer(config)
        loop = asyncio.get_running_loop()
        STOPPER.listen(loop, lambda: setattr(server, "should_exit", True))
        if lan is not None:
            await start_lan_view(runtime, app, lan)
        url = guard.launch_url
        print(f"Tandem is running at {url} (Ctrl-C to stop)", flush=True)
        if browser_available():
            loop.run_in_executor(None, webbrowser.open, url)
        await server.serve(sockets=[sock])
    finally:
        await _wind_down(runtime)


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        # Bound here, not by uvicorn: its bind failure exits the process without a word of ours.
        sock.bind((HOST, port))
        sock.listen(2048)  # a browser that connects before uvicorn is up waits, not refused
    except OSError as exc:
        sock.close()
        raise TandemError(
            f"cannot serve the app on {HOST}:{port} ({exc.strerror or exc})",
            "pick another --port, or leave it out for a free one",
        ) from None
    return sock


async def _run_desktop(
    main: Callable[[ft.Page], Awaitable[None]], runtime: Runtime, pages: MutableSet[ft.Page]
) -> None:
    app = asyncio.create_task(ft.run_async(main, view=ft.AppView.FLET_APP, assets_dir=None))
    # Flet sets its own SIGINT/SIGTERM handlers first thing, before its first await; they only
    # set an event that the desktop view never waits for. One step later, ours replace them.
    await asyncio.sleep(0)
    closing: set[asyncio.Task[None]] = set()  # a reference, so the task is not collected
    loop = asyncio.get_running_loop()
    STOPPER.listen(loop, lambda: closing.add(loop.create_task(close_desktop(pages, app))))
    try:
        await app  # until the window is closed
    except asyncio.CancelledError:
        if not app.cancelled():
            raise
    finally:
        await _wind_down(runtime)


async def close_desktop(pages: Iterable[ft.Page], app: asyncio.Task[Any]) -> None:
    """Close the desktop windows of `pages`, so `app` (Flet's run) ends; else cancel it.

    Destroying the window ends Flet's desktop client, which Flet then cleans up after;
    cancelling `app` is the fallback for a client that does not go (or has no page yet).
    """
    for page in list(pages):
        with contextlib.suppress(Exception):  # a page already gone: nothing to close
            await asyncio.wait_for(page.window.destroy(), CLIENTS_GRACE_S)  # type: ignore[no-untyped-call]
    await asyncio.wait({app}, timeout=CLIENTS_GRACE_S)
    app.cancel()


async def _wind_down(runtime: Runtime) -> None:
    """Stop what the pages started, end the turns in flight, close the runtime; then, after a
    stop signal, leave (app/shutdown.py).

    Pages' tasks (turns, sensor polling, Flet's sessions) are cancelled, so a turn in flight
    is recorded as cancelled; any it could not record is marked interrupted.
    """
    with contextlib.suppress(Exception):
        await asyncio.wait_for(AppMcpService.for_runtime(runtime).stop(), CLIENTS_GRACE_S + 1)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(LanService.for_runtime(runtime).stop(), CLIENTS_GRACE_S + 1)
    this = asyncio.current_task()
    pending = {task for task in asyncio.all_tasks() if task is not this}
    loop = asyncio.get_running_loop()
    give_up = loop.time() + TASKS_GRACE_S
    while pending and loop.time() < give_up:
        # Cancelled again while still running: a cancellation can be lost (on Python 3.11
        # `asyncio.wait_for` drops one that races with its result), and one lost turn must
        # not keep the others' stop waiting for the deadline.
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=RECANCEL_S)
    runtime.ledger.interrupt_open_turns()
    await runtime.aclose()
    # Threads that Flet and pages started (its thread pool, a blocking read) would hold the
    # interpreter's exit; everything of ours is closed by now.
    STOPPER.finish(0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m app.gui.main [--web] [--port N] [--model SPEC]`."""
    parser = argparse.ArgumentParser(prog="python -m app.gui.main", description=__doc__)
    parser.add_argument("--web", action="store_true", help="serve the app for a browser")
    parser.add_argument("--port", type=int, default=None, help="port for the web view")
    add_lan_arguments(parser)
    parser.add_argument("--model", default=None, help="model name or .gguf path to use")
    parser.add_argument(
        "--mcp-port", type=int, default=None, help="also serve MCP on 127.0.0.1:N (see MCP view)"
    )
    args = parser.parse_args(argv)
    from app.logs import routed_logs

    code = 0
    with routed_logs():
        try:
            run_gui(
                web=args.web or args.port is not None,
                port=args.port,
                model=args.model,
                mcp_port=args.mcp_port,
                lan=args.lan,
                lan_host=args.lan_host,
            )
        except TandemError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"hint: {exc.hint}", file=sys.stderr)
            code = 1
    STOPPER.finish(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
