"""Lets only paired devices reach the app served on the LAN (`tandem --web --lan`).

`LanGuard` wraps the app's ASGI server the way app/gui/web_guard.py does for the loopback
view, for callers that are other devices on the network. On every HTTP request and
websocket handshake it:

1. answers only a `Host` that is one of the served names with the port (a DNS-rebinding
   page's requests carry its own name), and an `Origin`, when sent, of the same; a
   websocket must send one (browsers always do);
2. serves, to anyone, only the pairing page (`/pair`), the web app manifest and the icons;
3. asks for a paired device's token: the `tandem_device` cookie a browser got when it
   paired, or `Authorization: Bearer` / `x-api-key` from the phone app. Without one an HTML
   request gets the pairing page (401), a websocket is closed before it is accepted, and
   anything else a 401 in the Anthropic API's error shape. Nothing of the app is served.

`/v1/...` goes to the edge API (router/edge/server.py) over this computer's model: the
phone app's "my Tandem" endpoint, authorised by the same device token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.gui.page_policy import with_page_policy
from app.lan import pages
from app.lan.devices import PairedDevice, PairedDevices
from app.lan.live import while_paired
from app.lan.pairing import PairingCodes, Verdict
from app.lan.reach import serving_device
from router import TandemError

COOKIE = "tandem_device"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
"""Prior: a paired browser stays signed in for a year (revoking ends it at once)."""
MAX_PAIR_BODY = 4096
"""A pairing request is a code and a name: anything larger is refused unread."""
_NO_STORE = {"Cache-Control": "no-store"}
_STORE_BROKEN = "Tandem cannot read its list of paired devices; see the computer's terminal."
log = logging.getLogger("app.lan")


class _BadRequest(Exception):
    """A pairing request that cannot be read; its message is shown to the user."""


class LanGuard:
    """ASGI middleware: only paired devices may load or drive `app` (and `edge`, at /v1).

    `names` are the host names and addresses the server answers at, `port` its port;
    pairing spends `codes` and adds to `devices`, then calls `on_paired` with the device.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        names: Sequence[str],
        port: int,
        devices: PairedDevices,
        codes: PairingCodes,
        fingerprint: str,
        edge: ASGIApp | None = None,
        on_paired: Callable[[PairedDevice], None] | None = None,
    ) -> None:
        self.app, self.edge = app, edge
        self.devices, self.codes, self.fingerprint = devices, codes, fingerprint
        self.on_paired = on_paired
        suffix = "" if port == 443 else f":{port}"
        self.hosts = frozenset(f"[{n}]{suffix}" if ":" in n else f"{n}{suffix}" for n in names)
        self.origins = frozenset(f"https://{host}" for host in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve `scope` to a paired device, or the public pages; refuse anything else."""
        if scope["type"] not in ("http", "websocket"):  # lifespan: nothing to guard
            await self.app(scope, receive, send)
            return
        refusal = self._check_caller(scope)
        if refusal is not None:
            await _refuse(scope, receive, send, 403, refusal)
            return
        try:
            public = await self._public(scope, receive) if scope["type"] == "http" else None
            tokens = _tokens(Headers(scope=scope)) if public is None else []
            device = self.paired_device(tokens)
        except TandemError as exc:  # the list of paired devices cannot be read
            log.error("the LAN view refused a request: %s", exc)
            await _refuse(scope, receive, send, 503, _STORE_BROKEN)
            return
        if public is not None:
            await public(scope, receive, send)
        elif device is None:
            await self._unpaired(scope, receive, send)
        elif self.edge is not None and (scope["path"] + "/").startswith("/v1/"):
            await self.edge(scope, receive, send)
        else:
            # A websocket's headers never change: its tokens, read once, are re-checked
            # against the (re-read when changed) list of devices at each message.
            receive, send = while_paired(
                scope, receive, send, lambda: self.paired_device(tokens) is not None
            )
            with serving_device(device):  # the page's own task knows it serves a phone
                await self.app(scope, receive, with_page_policy(scope, send))

    def paired_device(self, tokens: Sequence[str]) -> PairedDevice | None:
        """The paired device holding one of a request's `tokens`, None if none does."""
        for token in tokens:
            device = self.devices.check(token)
            if device is not None:
                return device
        return None

    def _check_caller(self, scope: Scope) -> str | None:
        """Why the request's `Host` or `Origin` is not this server's; None if both are."""
        headers = Headers(scope=scope)
        if headers.get("host", "").lower() not in self.hosts:
            return "Tandem answers only at the addresses it printed; open the link it shows."
        origin = headers.get("origin")
        if origin is None and scope["type"] == "websocket":
            return "A websocket to Tandem must come from Tandem's own page."
        if origin is not None and origin.lower() not in self.origins:
            return "Tandem does not answer other sites' pages."
        return None

    async def _public(self, scope: Scope, receive: Receive) -> Response | None:
        """The response to a public path (pairing, manifest, icons); None for other paths."""
        path, method = scope["path"], scope["method"]
        if path in pages.MANIFEST_PATHS and method in ("GET", "HEAD"):
            return Response(pages.manifest(), media_type="application/manifest+json")
        if path in pages.ICON_PATHS and method in ("GET", "HEAD"):
            return Response(pages.icon(pages.ICON_PATHS[path]), media_type="image/png")
        if path != "/pair":
            return None
        if method in ("GET", "HEAD"):
            code = dict(parse_qsl(scope["query_string"].decode("latin-1"))).get("code", "")
            return _page(200, code=code)
        if method != "POST":
            return Response("Use the form on this page to pair.", 405, {"Allow": "GET, POST"})
        return await self._pair(Request(scope, receive))

    async def _pair(self, request: Request) -> Response:
        wants_json = request.headers.get("content-type", "").startswith("application/json")
        try:
            code, name = await _pair_fields(request, wants_json)
        except _BadRequest as exc:
            return _failure(Verdict(False, 400, str(exc)), wants_json, code="")
        client = request.client.host if request.client else "unknown"
        verdict = self.codes.redeem(code, client)
        if not verdict.accepted:
            return _failure(verdict, wants_json, code)
        device, token = self.devices.add(name)
        if self.on_paired is not None:
            self.on_paired(device)
        if wants_json:
            body = {
                "token": token,
                "device_id": device.device_id,
                "edge_url": f"https://{request.headers['host']}/v1",
                "fingerprint": self.fingerprint,
            }
            return JSONResponse(body, headers=_NO_STORE)
        response = RedirectResponse("/", 303, _NO_STORE)
        response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE_S, path="/", secure=True,
                            httponly=True, samesite="strict")  # fmt: skip
        return response

    async def _unpaired(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = "This device is not paired with this Tandem: pair it with the code Tandem shows."
        if scope["type"] == "http" and "text/html" in Headers(scope=scope).get("accept", ""):
            await _page(401, unpaired=True)(scope, receive, send)
        else:
            await _refuse(scope, receive, send, 401, message)


def _tokens(headers: Headers) -> list[str]:
    """The device tokens a request offers: its cookie, bearer token and API key."""
    found = []
    cookie = SimpleCookie()
    with contextlib.suppress(CookieError):  # a malformed Cookie header proves nothing
        cookie.load(headers.get("cookie", ""))
    if COOKIE in cookie:
        found.append(cookie[COOKIE].value)
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        found.append(credential.strip())
    if headers.get("x-api-key"):
        found.append(headers["x-api-key"])
    return found


async def _pair_fields(request: Request, wants_json: bool) -> tuple[str, str]:
    """The code and the name a pairing request sends (JSON or a form)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PAIR_BODY:
            raise _BadRequest("That pairing request is too large; send only a code and a name.")
    try:
        text = body.decode()
        fields: Any = json.loads(text) if wants_json else dict(parse_qsl(text))
    except (UnicodeDecodeError, ValueError):
        raise _BadRequest(
            "That pairing request could not be read; send a code and a name."
        ) from None
    if not isinstance(fields, dict):
        raise _BadRequest("Send the pairing code and a name as a JSON object.")
    code, name = fields.get("code", ""), fields.get("name", "")
    if not isinstance(code, str) or not isinstance(name, str):
        raise _BadRequest("The pairing code and the name must be text.")
    return code, name


def _failure(verdict: Verdict, wants_json: bool, code: str) -> Response:
    headers = dict(_NO_STORE)
    if verdict.retry_after_s:
        headers["Retry-After"] = str(verdict.retry_after_s)
    if not wants_json:
        return _page(verdict.status, code=code, message=verdict.message, headers=headers)
    kinds = {400: "invalid_request_error", 403: "permission_error", 429: "rate_limit_error"}
    return _api_error(verdict.status, kinds.get(verdict.status, "api_error"), verdict.message,
                      headers)  # fmt: skip


def _page(status: int, *, headers: dict[str, str] | None = None, **fields: Any) -> Response:
    nonce = secrets.token_urlsafe(16)
    fields.setdefault("unpaired", False)
    policy = {"Content-Security-Policy": pages.content_security_policy(nonce)}
    content = pages.pairing_page(nonce=nonce, **fields)
    return HTMLResponse(content, status, {**_NO_STORE, **policy, **(headers or {})})


def _api_error(status: int, kind: str, message: str, headers: dict[str, str]) -> Response:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return JSONResponse(body, status, headers)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        # A close before the accept: the server answers the handshake with HTTP 403.
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    kind = {401: "authentication_error", 403: "permission_error"}.get(status, "api_error")
    await _api_error(status, kind, message, dict(_NO_STORE))(scope, receive, send)
