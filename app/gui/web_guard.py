"""Keeps the app's web view to the user who launched it.

`tandem --web` listens on 127.0.0.1, but loopback alone does not make a server private: any
page in the user's browser can reach it, and through DNS rebinding (a name that first points
at the page's own server, then at 127.0.0.1) it does so as a "same-origin" page of its own
name. `WebGuard` wraps the app's ASGI server and, on every HTTP request and websocket
handshake:

1. answers only a `Host` that names this server (127.0.0.1, localhost or [::1] with its port);
   a rebinding page's requests carry its own name, so they are refused;
2. refuses an `Origin` of any other site (and a websocket without one: browsers always send it);
3. asks for the per-launch secret: the link Tandem prints and opens carries it as `?token=`,
   which is swapped for an HttpOnly, SameSite=Strict cookie and dropped from the address.
   Without the cookie (or the token) nothing is served, not even the page's static files.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.gui.page_policy import with_page_policy

TOKEN_PARAM = "token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Refusal:
    """Why a request was turned away: its HTTP status and a line that says what to do."""

    status: int
    message: str


class WebGuard:
    """ASGI middleware: only the launching user's browser may load or drive the wrapped app.

    `port` is the port the app is served on (it is part of every allowed `Host` and
    `Origin`); `secret` defaults to a fresh `secrets.token_urlsafe(32)`.
    """

    def __init__(self, app: ASGIApp, port: int, secret: str | None = None) -> None:
        self.app = app
        self.port = port
        self.secret = secret or secrets.token_urlsafe(32)
        self.cookie_name = f"tandem_web_{port}"  # cookies ignore ports: one per served port
        suffix = "" if port == 80 else f":{port}"
        self.hosts = frozenset(f"{name}{suffix}" for name in LOOPBACK_NAMES)
        self.origins = frozenset(f"http://{host}" for host in self.hosts)

    @property
    def launch_url(self) -> str:
        """The link to print and open for the user: it signs the browser in."""
        return f"http://127.0.0.1:{self.port}/?{TOKEN_PARAM}={self.secret}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve `scope` if it comes from the user's own browser tab; refuse it otherwise."""
        if scope["type"] not in ("http", "websocket"):  # lifespan: nothing to guard
            await self.app(scope, receive, send)
            return
        refusal = self.check_caller(scope)
        if refusal is None and scope["type"] == "http" and self._query_token(scope) is not None:
            await self._sign_in(scope)(scope, receive, send)
            return
        if refusal is None and not self._holds_secret(scope):
            refusal = Refusal(
                401,
                "This is Tandem's private web view. Open the link Tandem printed in the terminal "
                f"(http://127.0.0.1:{self.port}/?token=...) to use it in this browser.",
            )
        if refusal is None:
            await self.app(scope, receive, with_page_policy(scope, send))
        elif scope["type"] == "websocket":
            # A close before the accept: the server answers the handshake with HTTP 403.
            await send({"type": "websocket.close", "code": 1008, "reason": refusal.message[:120]})
        else:
            response = PlainTextResponse(refusal.message, refusal.status, _NO_STORE)
            await response(scope, receive, send)

    def check_caller(self, scope: Scope) -> Refusal | None:
        """Refuse a request whose `Host` or `Origin` is not this server (DNS rebinding,
        another site's page); None if both are fine."""
        headers = Headers(scope=scope)
        if headers.get("host", "").lower() not in self.hosts:
            return Refusal(
                403,
                "Tandem's web view answers only at its own address: open "
                f"http://127.0.0.1:{self.port}/ via the link Tandem printed, not another name.",
            )
        origin = headers.get("origin")
        if origin is None and scope["type"] == "websocket":
            return Refusal(403, "a websocket to Tandem must come from Tandem's own page")
        if origin is not None and origin.lower() not in self.origins:
            return Refusal(403, "Tandem's web view does not answer other sites' pages")
        return None

    def _holds_secret(self, scope: Scope) -> bool:
        cookie = SimpleCookie()
        try:
            cookie.load(Headers(scope=scope).get("cookie", ""))
        except Exception:  # a malformed Cookie header proves nothing
            return False
        held = cookie.get(self.cookie_name)
        if held is not None and self._matches(held.value):
            return True
        token = self._query_token(scope)  # a websocket may carry the token itself
        return token is not None and self._matches(token)

    def _sign_in(self, scope: Scope) -> Response:
        token = self._query_token(scope)
        if token is None or not self._matches(token):
            message = "This link is not (or no longer) Tandem's: open the one it printed last."
            return PlainTextResponse(message, 403, _NO_STORE)
        rest = [(key, value) for key, value in _query(scope) if key != TOKEN_PARAM]
        target = scope["path"] + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, 303, _NO_STORE)
        response.set_cookie(self.cookie_name, self.secret, httponly=True, samesite="strict")
        return response

    def _matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.secret.encode())

    @staticmethod
    def _query_token(scope: Scope) -> str | None:
        return next((value for key, value in _query(scope) if key == TOKEN_PARAM), None)


def _query(scope: Scope) -> list[tuple[str, str]]:
    query: str = scope["query_string"].decode("latin-1")
    return parse_qsl(query, keep_blank_values=True)
