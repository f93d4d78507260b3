"""The parts of the LAN service (`app/lan/`) that the Phones section uses, as protocols.

The real classes live in `app/lan/devices.py` and `app/lan/service.py` (the
interface agreed for issue 20). The section depends only on these protocols, so
its view-model is tested with a fake, and `lan_service_for` is the one place
that reaches the real `LanService`: a build without `app/lan` shows the section
with serving unavailable instead of failing to open.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from router import Runtime

LAN_SERVICE_MODULE = "app.lan.service"
"""Where the real `LanService` lives."""


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
        """What the QR code encodes: the pairing page with the code and the fingerprint."""

    @property
    def code(self) -> str | None:
        """The short single-use pairing code, e.g. "K7QD-M2XP"."""

    @property
    def code_expires_at(self) -> datetime | None:
        """When the pairing code stops working (UTC)."""

    @property
    def fingerprint(self) -> str | None:
        """SHA-256 of the certificate as colon hex, "AB:CD:..."."""

    @property
    def error(self) -> str | None:
        """One sentence when serving failed (port taken, no LAN address)."""


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
        """Start serving; a failure is reported in the returned status's `error`."""

    async def stop(self) -> None:
        """Stop serving."""

    def status(self) -> LanStatus:
        """The state now."""

    def new_code(self) -> LanStatus:
        """Issue a fresh pairing code (the old one stops working)."""

    def devices(self) -> PairedDevices:
        """The paired devices."""

    def qr_png(self) -> bytes:
        """A PNG of the pairing URL (TandemError if not serving)."""

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` on pair, revoke, start and stop; returns the unsubscriber."""


def lan_service_for(runtime: Runtime) -> LanService | None:
    """The runtime's `LanService`, or None when this build has no `app/lan` package.

    The import is by name so that this module type-checks and runs before
    `app/lan` exists; a missing dependency *inside* `app/lan` is a real bug and
    is raised, not hidden.
    """
    try:
        module = importlib.import_module(LAN_SERVICE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in ("app.lan", LAN_SERVICE_MODULE):
            raise
        return None
    service: LanService = module.LanService.for_runtime(runtime)
    return service
