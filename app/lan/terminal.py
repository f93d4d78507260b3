"""What `tandem --web --lan` prints: where phones find Tandem, the fingerprint, how to pair.

The desktop user reads the LAN address, the certificate's fingerprint (to compare with the
one the phone shows when it warns about the self-signed certificate), the pairing code and
its QR code. Afterwards each pairing, and each new code (after a pairing, or when the last
one expired), is printed as it happens.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp

from app.lan.options import LanLaunch
from app.lan.qr import qr_text
from app.lan.service import LanService, LanStatus
from router import Runtime, TandemError


def lan_banner(status: LanStatus) -> str:
    """The lines printed once the LAN view serves: address, fingerprint, code and QR."""
    lines = [
        f"Phones on your network: {status.url}",
        f"  Certificate fingerprint (SHA-256): {status.fingerprint}",
        "  The phone warns once that this certificate is not from an authority; go on only "
        "if the fingerprint it shows is this one.",
        *_code_lines(status),
    ]
    return "\n".join(lines)


def _code_lines(status: LanStatus) -> list[str]:
    if status.code is None or status.pairing_url is None:
        return ["  No pairing code now."]
    until = status.code_expires_at.astimezone().strftime("%H:%M") if status.code_expires_at else ""
    return [
        f"  Pairing code: {status.code} (works once, until {until})",
        "  Scan this QR code with the phone's camera to pair it, or open "
        f"{status.url}pair on the phone and type the code:",
        qr_text(status.pairing_url),
    ]


class ChangePrinter:
    """Prints each new pairing and each new code of `service`, as `on_change` reports them."""

    def __init__(self, service: LanService, out: Callable[[str], None] = print) -> None:
        self.service, self.out = service, out
        self._code = service.status().code
        self._known = {device.device_id for device in service.devices().list()}

    def __call__(self) -> None:
        """Print what changed since the last call."""
        for device in self.service.devices().list():
            if device.device_id not in self._known:
                self._known.add(device.device_id)
                self.out(f"Paired: {device.name} (id {device.device_id})")
        status = self.service.status()
        if status.code is not None and status.code != self._code:
            self.out("A new pairing code (the previous one no longer works):")
            self.out("\n".join(_code_lines(status)))
        self._code = status.code


async def start_lan_view(runtime: Runtime, web_app: ASGIApp, launch: LanLaunch) -> LanService:
    """Serve `web_app` (the app on loopback) on the LAN too, print the banner, then each change.

    Raises `TandemError` when it cannot serve (port taken, no LAN address).
    """
    service = LanService.for_runtime(runtime)
    service.web_app = web_app
    status = await service.start(launch.port, launch.host)
    if status.error is not None:
        message, _, hint = status.error.partition("; ")
        raise TandemError(message, hint)
    print(lan_banner(status), flush=True)
    service.on_change(ChangePrinter(service, lambda text: print(text, flush=True)))
    return service
