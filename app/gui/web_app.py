"""The Flet web app that `tandem --web` and the LAN view serve, named Tandem.

Built from `flet_web.fastapi` directly rather than `ft.run(export_asgi_app=True)`, which
builds the same app but cannot name it: its page would say "Flet" in the browser's title
and, on a phone, under the home-screen icon (`apple-mobile-web-app-title`).
The client is served from the installed `flet-web` package (`no_cdn=True`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft
from starlette.types import ASGIApp

APP_NAME = "Tandem"
APP_DESCRIPTION = "Tandem: your private assistant, on this device and your own computer."


def flet_web_app(main: Callable[[ft.Page], Awaitable[None]]) -> ASGIApp:
    """Flet's ASGI app serving `main` to browsers at `/`, titled Tandem.

    The outer app carries Flet's lifespan (its session manager), as the one `ft.run`
    exports does.
    """
    # Imported here: FastAPI and Flet's web server load in about 0.1 s, which the desktop
    # window (no web view) would otherwise pay at every start.
    import flet_web.fastapi as flet_fastapi

    outer: Any = flet_fastapi.FastAPI()
    outer.mount(
        "/",
        flet_fastapi.app(
            main,
            app_name=APP_NAME,
            app_short_name=APP_NAME,
            app_description=APP_DESCRIPTION,
            no_cdn=True,
        ),
    )
    app: ASGIApp = outer
    return app
