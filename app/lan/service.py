"""Serves the app over HTTPS on the LAN to paired phones, beside the desktop user's own view.

`tandem --web --lan` (and the app's Phones panel) start it. It runs a second uvicorn server
on the app's event loop: the same Flet app, behind `LanGuard` (app/lan/guard.py), with the
certificate of app/lan/cert.py, plus the edge API at `/v1` over the app's own model.

Flet's web server keeps its sessions and its patched index page in one manager for the
whole process, which a server's lifespan starts and, on shutdown, empties. So when the app
is already served on loopback (`web_app` set), this server runs without a lifespan and
leaves the manager to that server; with no other server (the desktop window), it builds a
Flet app of its own from `page_main` and runs that app's lifespan itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal

import flet as ft
import uvicorn
from starlette.types import ASGIApp

from app.gui.web_app import flet_web_app
from app.lan.cert import LanCertificate, ensure_certificate, extra_names_from_env, served_names
from app.lan.devices import PairedDevice, PairedDevices, devices_file
from app.lan.edge import MODEL_ID, DeviceModel
from app.lan.guard import LanGuard
from app.lan.pairing import PairingCodes
from app.lan.qr import qr_png
from app.loop_server import QuietServer, one_per_runtime, serve_in_task, stop_serving, until_started
from router import Runtime, TandemError
from router.edge.server import bind, create_app

log = logging.getLogger("app.lan")
DEFAULT_PORT = 8643
"""Prior: the LAN view's port when none is given: fixed, so a phone's home-screen icon keeps
working across launches (one above `tandem edge serve`'s 8642)."""
WILDCARD = "0.0.0.0"
CLIENTS_GRACE_S = 1
PageMain = Callable[[ft.Page], Awaitable[None]]
"""Flet's per-page entry point: what app/gui/main.py `make_app` returns."""


@dataclass(frozen=True)
class LanStatus:
    """What the desktop shows about the LAN view: where it is and how to pair."""

    serving: bool
    url: str | None
    """"https://<lan ip or host>:<port>/" while serving."""
    pairing_url: str | None
    """The QR code's link: "<url>pair?code=<CODE>#fp=<SHA-256 hex>"."""
    code: str | None
    code_expires_at: datetime | None
    fingerprint: str | None
    """SHA-256 of the certificate, "AB:CD:..."."""
    error: str | None
    """One sentence when serving failed (port taken, no LAN address)."""


class LanService:
    """The LAN view of one runtime: start, stop, pairing code, QR and paired devices."""

    _by_runtime: ClassVar[dict[int, LanService]] = {}

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.page_main: PageMain | None = None
        """The app's per-page entry point (set by app/gui/main.py), to build a Flet app from."""
        self.web_app: ASGIApp | None = None
        """The Flet app already served on loopback (`tandem --web`), shared with this server."""
        self.codes = PairingCodes()
        self._devices = PairedDevices(devices_file(runtime.paths.data_dir), on_change=self._notify)
        self._listeners: list[Callable[[], None]] = []
        self._server: QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._url: str | None = None
        self._certificate: LanCertificate | None = None
        self._error: str | None = None
        self._renewal: asyncio.TimerHandle | None = None
        self._last_port: int | None = None
        self._last_host: str | None = None

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> LanService:
        """The app's one service for `runtime` (created on first use)."""
        return one_per_runtime(cls._by_runtime, runtime, cls)

    @property
    def serving(self) -> bool:
        """Whether the server is accepting connections."""
        return self._task is not None and not self._task.done()

    @property
    def cert_path(self) -> Path | None:
        """The certificate (PEM) the server uses, once made; None before the first start."""
        return self._certificate.cert_path if self._certificate else None

    async def start(self, port: int | None = None, host: str | None = None) -> LanStatus:
        """Serve on `host`:`port` (default 0.0.0.0:8643; port 0 picks a free one).

        Left out, `port` and `host` are those of the last start (the app's switch turned off
        and on again serves where `tandem --lan --port N` did, so phones' home-screen links
        keep working). Never raises for a failure to serve: the status's `error` says why.
        Starting again while serving restarts the server there.
        """
        port = self._last_port if port is None else port
        host = self._last_host if host is None else host
        self._last_port, self._last_host = port, host
        await self.stop(notify=False)
        try:
            self._url, sock, config = self._prepare(port, host)
        except TandemError as exc:
            self._error = f"{exc.message}; {exc.hint}" if exc.hint else exc.message
            self._notify()
            return self.status()
        self._error = None
        self._server, self._task = serve_in_task(config, sock)
        await until_started(self._server, self._task)
        if self._task.done():
            failure = self._task.exception() if not self._task.cancelled() else None
            self._error = f"the LAN server stopped at once ({failure}); see the app's log"
            self._server = self._task = None
        else:
            log.info("LAN view serving at %s", self._url)
            self.new_code()
        self._notify()
        return self.status()

    async def stop(self, *, notify: bool = True) -> None:
        """Stop serving (open connections are closed); safe when not serving."""
        server, task = self._server, self._task
        self._server = self._task = None
        self._url = None
        self.codes.current = None
        if self._renewal is not None:
            self._renewal.cancel()
            self._renewal = None
        if server is not None and task is not None:
            await stop_serving(server, task)
            if notify:
                self._notify()

    def status(self) -> LanStatus:
        """Where the LAN view is and the current pairing code (None values when stopped)."""
        code = self.codes.current if self.serving else None
        fingerprint = self._certificate.fingerprint if self._certificate and self.serving else None
        pairing_url = None
        if code is not None and self._url is not None and fingerprint is not None:
            pairing_url = f"{self._url}pair?code={code.code}#fp={fingerprint.replace(':', '')}"
        return LanStatus(
            serving=self.serving,
            url=self._url if self.serving else None,
            pairing_url=pairing_url,
            code=code.code if code else None,
            code_expires_at=code.expires_at if code else None,
            fingerprint=fingerprint,
            error=None if self.serving else self._error,
        )

    def new_code(self) -> LanStatus:
        """Issue a fresh pairing code (the old one stops working); renewed when it expires."""
        if not self.serving:
            return self.status()
        code = self.codes.new_code()
        if self._renewal is not None:
            self._renewal.cancel()
        delay = (code.expires_at - datetime.now(code.expires_at.tzinfo)).total_seconds()
        loop = asyncio.get_running_loop()
        self._renewal = loop.call_later(max(delay, 1.0), self._renew)
        self._notify()
        return self.status()

    def devices(self) -> PairedDevices:
        """The paired devices (the same file `tandem devices` reads)."""
        return self._devices

    def qr_png(self) -> bytes:
        """A PNG of the QR code of `pairing_url`; `TandemError` when not serving."""
        link = self.status().pairing_url
        if link is None:
            raise TandemError(
                "the LAN view is not serving, so there is no pairing code to show",
                "start it first (tandem --web --lan, or the switch in Phones)",
            )
        return qr_png(link)

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after a start, stop, pairing, revoke or new code; returns the
        function that unsubscribes it."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return unsubscribe

    def _prepare(
        self, port: int | None, host: str | None
    ) -> tuple[str, socket.socket, uvicorn.Config]:
        """The URL, the listening socket and the server's config; `TandemError` on failure."""
        host = host or WILDCARD
        extras = extra_names_from_env()
        specific = () if host in (WILDCARD, "::") else (host,)
        names = served_names([*extras, *specific])
        shown = next(iter([*extras, *specific]), None) or _lan_name(names)
        self._devices.list()  # a damaged list of devices: say so now, not on a phone's request
        self._certificate = ensure_certificate(self.runtime.paths.data_dir / "lan", names)
        app, lifespan = self._web_app()
        sock = bind(host, DEFAULT_PORT if port is None else port)
        bound: int = sock.getsockname()[1]
        guard = LanGuard(
            app,
            names=names,
            port=bound,
            devices=self._devices,
            codes=self.codes,
            fingerprint=self._certificate.fingerprint,
            edge=create_app(DeviceModel(self.runtime), model_id=MODEL_ID, api_key=None,
                            defaults=self.runtime.settings.generation),
            on_paired=self._paired,
        )  # fmt: skip
        config = uvicorn.Config(
            guard,
            ssl_certfile=str(self._certificate.cert_path),
            ssl_keyfile=str(self._certificate.key_path),
            lifespan=lifespan,
            ws="websockets-sansio",  # what Flet's own server uses
            log_config=None,  # uvicorn's records go to the log file (app/logs.py)
            log_level="warning",
            proxy_headers=False,  # no proxy in front: a client's own address is what is limited
            timeout_graceful_shutdown=CLIENTS_GRACE_S,
        )
        shown = f"[{shown}]" if ":" in shown else shown
        return f"https://{shown}:{bound}/", sock, config

    def _web_app(self) -> tuple[ASGIApp, Literal["on", "off"]]:
        if self.web_app is not None:
            return self.web_app, "off"  # the loopback server runs Flet's lifespan
        if self.page_main is None:
            raise TandemError(
                "the LAN view has no app to serve", "start it from the app or `tandem --web --lan`"
            )
        built = flet_web_app(self.page_main)
        return built, "on"

    def _paired(self, device: PairedDevice) -> None:
        log.info("paired a device: %s (%s)", device.name, device.device_id)
        self.new_code()  # the used code is spent; the next phone needs a fresh one

    def _renew(self) -> None:
        self._renewal = None
        if self.serving:
            self.new_code()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # one panel's failure must not stop the others, or pairing
                log.exception("a LAN status listener failed")


def _lan_name(names: tuple[str, ...]) -> str:
    """The name a phone reaches this computer at: its first LAN address."""
    if names and names[0][:1].isdigit() and not names[0].startswith("127."):
        return names[0]
    raise TandemError(
        "this computer has no address on a local network, so a phone cannot reach it",
        "connect it to your Wi-Fi (the phone's network), then start the LAN view again",
    )
