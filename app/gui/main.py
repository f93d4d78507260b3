"""Starts the Tandem GUI, as a desktop window or served to a browser.

A desktop window needs Flet's desktop client; without it (or with `web=True`)
the same app is served to a browser on 127.0.0.1.

The web client comes from the `flet-web` package and is served with
`no_cdn=True`, so the page works offline: nothing is fetched from a CDN.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import sys
import webbrowser
from collections.abc import Awaitable, Callable, Sequence

import flet as ft

from app.gui.camera_bridge import attach_camera
from app.gui.mcp_service import AppMcpService
from app.gui.sensors_bridge import attach_sensors
from app.gui.shell import show_shell
from app.progress import terminal_progress
from router.errors import TandemError
from router.runtime import Runtime, build_runtime

HOST = "127.0.0.1"


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


def make_app(runtime: Runtime) -> Callable[[ft.Page], Awaitable[None]]:
    """Return Flet's per-page entry point; every browser tab gets its own shell and view-models.

    All pages share `runtime`, so the model is loaded once for all of them.
    """

    async def main(page: ft.Page) -> None:
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
) -> None:
    """Build the runtime and run the GUI until the window closes or Ctrl-C.

    `web` serves the app on http://127.0.0.1:`port`/ (a free port if None)
    instead of opening a desktop window; without `flet-desktop` (it downloads
    its client on first run, so offline it is missing) the web view is used too.
    `model` overrides the configured model spec. `mcp_port` starts the app's MCP
    server on 127.0.0.1:`mcp_port` when the first page opens. Raises `TandemError` if the
    model cannot be found.
    """
    if not web and not desktop_available():
        print("The desktop client (flet-desktop) is not available; serving the web view instead.")
        web = True
    runtime = build_runtime(model=model, progress=terminal_progress("Preparing the model"))
    # Created before any page: it lends the chat's own tools (runtime.devices) the app's
    # sensors and camera, so the chat reads the phone a page runs on.
    AppMcpService.for_runtime(runtime).launch_port = mcp_port
    main = make_app(runtime)
    try:
        if web:
            _serve_web(main, port or free_port())
        else:
            ft.run(main, view=ft.AppView.FLET_APP, assets_dir=None)
    finally:
        asyncio.run(runtime.aclose())


def _serve_web(main: Callable[[ft.Page], Awaitable[None]], port: int) -> None:
    if not browser_available():
        # Flet opens a browser on start-up in WEB_BROWSER mode; with none to
        # open, this documented switch makes it just serve.
        os.environ["FLET_FORCE_WEB_SERVER"] = "true"
    print(f"Tandem is running at http://{HOST}:{port}/ (Ctrl-C to stop)", flush=True)
    ft.run(
        main,
        view=ft.AppView.WEB_BROWSER,
        host=HOST,
        port=port,
        no_cdn=True,
        assets_dir=None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m app.gui.main [--web] [--port N] [--model SPEC]`."""
    parser = argparse.ArgumentParser(prog="python -m app.gui.main", description=__doc__)
    parser.add_argument("--web", action="store_true", help="serve the app for a browser")
    parser.add_argument("--port", type=int, default=None, help="port for the web view")
    parser.add_argument("--model", default=None, help="model name or .gguf path to use")
    parser.add_argument(
        "--mcp-port", type=int, default=None, help="also serve MCP on 127.0.0.1:N (see MCP view)"
    )
    args = parser.parse_args(argv)
    try:
        run_gui(
            web=args.web or args.port is not None,
            port=args.port,
            model=args.model,
            mcp_port=args.mcp_port,
        )
    except TandemError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
