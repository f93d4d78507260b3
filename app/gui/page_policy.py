"""The Content-Security-Policy on the app's own page, loopback and LAN alike.

Flet serves its web client from the installed `flet-web` package (`no_cdn=True`), yet the
client still asks a CDN for one script (Rive's animation runtime, from cdn.jsdelivr.net)
when it starts. With this policy the browser refuses anything that is not the app's own
origin, so opening Tandem tells no third party that you use it, and works offline the same.
Inline scripts stay allowed: Flet's page configures its client with them. WebAssembly is
allowed (CanvasKit); websockets go to the page's own server.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Scope, Send

APP_PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss: data: blob:",
        "media-src 'self' data: blob: mediastream:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)


def with_page_policy(scope: Scope, send: Send) -> Send:
    """`send` that adds `APP_PAGE_POLICY` to every HTML response the app sends."""
    if scope["type"] != "http":
        return send

    async def send_with_policy(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if headers.get("content-type", "").startswith("text/html"):
                headers["Content-Security-Policy"] = APP_PAGE_POLICY
        await send(message)

    return send_with_policy
