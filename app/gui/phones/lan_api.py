"""The parts of the LAN service (`app/lan/`) that the Phones section uses, as protocols.

The real classes live in `app/lan/devices.py` and `app/lan/service.py`. The section's
view-model depends only on these protocols, so it is unit-tested with a fake; the real
service comes from `lan_service_for`, whose return type makes mypy check that the real
classes have the shapes written here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from app.lan import service as lan_service
from router import Runtime


class LanStatus(Protocol):
    """Whether Tandem serves on the LAN, where, and the pairing code in force."""

    @property
    def serving(self) -> bool:
        """True while the HTTPS server runs."""

    @property
    def url(self) -> str | None:
        """The address phones open, "https://<lan ip or host>:<port>/"."""

    @property
    def pairing_url(self) -> str | None:
        """What the QR code encodes: "<url>pair?code=<CODE>#fp=<SHA-256 as 64 hex>"."""

    @property
    def code(self) -> str | None:
        """The short single-use pairing code, e.g. "K7QD-M2XP"."""

    @property
    def code_expires_at(self) -> datetime | None:
        """When the pairing code stops working (UTC)."""

    @property
    def fingerprint(self) -> str | None:
        """SHA-256 of the certificate as colon hex, "AB:CD:..."; None when stopped."""

    @property
    def error(self) -> str | None:
        """Why serving failed, "<what happened>; <what to do>" (port taken, no LAN address)."""


class PairedDevice(Protocol):
    """One phone (or browser) paired with this Tandem."""

    @property
    def device_id(self) -> str:
        """Short random id."""

    @property
    def name(self) -> str:
        """What the phone called itself ("Pixel 7")."""

    @property
    def paired_at(self) -> datetime:
        """When it paired (UTC)."""

    @property
    def last_seen(self) -> datetime | None:
        """When it last reached Tandem (UTC), None if never since pairing."""

    @property
    def revoked(self) -> bool:
        """True once revoked: its token no longer opens anything."""


class PairedDevices(Protocol):
    """The saved list of paired devices."""

    def list(self) -> Sequence[PairedDevice]:
        """Every paired device, newest first."""

    def revoke(self, device_id: str) -> None:
        """Revoke the device `device_id` (an unknown id raises TandemError)."""


class LanService(Protocol):
    """Serving Tandem over HTTPS on the LAN for one runtime."""

    async def start(self, port: int | None = None, host: str | None = None) -> LanStatus:
        """Start serving (0.0.0.0:8643 by default); never raises for a failure to serve:
        the returned status's `error` says why."""

    async def stop(self) -> None:
        """Stop serving."""

    def status(self) -> LanStatus:
        """The state now."""

    def new_code(self) -> LanStatus:
        """Issue a fresh pairing code (the old one stops working); nothing while stopped."""

    def devices(self) -> PairedDevices:
        """The paired devices."""

    def qr_png(self) -> bytes:
        """A PNG of the pairing URL (TandemError if not serving)."""

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` on pair, revoke, start and stop; returns the unsubscriber."""


def lan_service_for(runtime: Runtime) -> LanService:
    """The runtime's one `LanService`: the same one `tandem --web --lan` starts and the app
    stops on exit."""
    return lan_service.LanService.for_runtime(runtime)
