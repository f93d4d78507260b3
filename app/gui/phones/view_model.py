"""The Phones section's state: serving on the LAN, the pairing code, the paired devices.

Plain Python (no Flet). It drives a `LanService` (app/gui/phones/lan_api.py: a
protocol; the real one, app/lan/service.py, comes from `lan_service_for`) and re-reads it after
each action and whenever the service says something changed (a phone paired,
a device was revoked, serving started or stopped), until the page closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app.gui.outcome import ActionOutcome
from app.gui.phones.lan_api import LanService, LanStatus, PairedDevice
from router import TandemError


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


def ago(when: datetime, now: datetime) -> str:
    """`when` as people say it: "just now", "2 minutes ago", "3 days ago", "on 3 May 2025"."""
    seconds = (now - when).total_seconds()
    if seconds < 60:  # also a clock a little ahead of this one
        return "just now"
    if seconds < 3600:
        return _plural(int(seconds // 60), "minute")
    if seconds < 86400:
        return _plural(int(seconds // 3600), "hour")
    if seconds < 30 * 86400:
        return _plural(int(seconds // 86400), "day")
    return f"on {when.day} {when:%b %Y}"


@dataclass(frozen=True)
class DeviceRow:
    """One paired device as the list shows it."""

    device_id: str
    name: str
    paired: str
    """E.g. "paired 3 days ago"."""
    last_seen: str
    """E.g. "last seen 2 minutes ago", or "not seen since pairing"."""
    revoked: bool


def _row(device: PairedDevice, now: datetime) -> DeviceRow:
    seen = device.last_seen
    return DeviceRow(
        device_id=device.device_id,
        name=device.name,
        paired=f"paired {ago(device.paired_at, now)}",
        last_seen=f"last seen {ago(seen, now)}" if seen else "not seen since pairing",
        revoked=device.revoked,
    )


class PhonesViewModel:
    """State and actions of the Phones section for one page.

    `open` subscribes to the service's changes and `close` releases that
    subscription (the view calls it when the page closes).
    """

    def __init__(
        self,
        service: LanService,
        *,
        on_change: Callable[[], None] | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.service = service
        self.on_change: Callable[[], None] = on_change or (lambda: None)
        self.now = now
        # A lambda, not the callable itself: the view sets `on_change` after construction.
        self.outcome = ActionOutcome(lambda: self.on_change())
        self.status: LanStatus | None = None
        self.qr_png: bytes | None = None
        """The pairing QR code as PNG while serving."""
        self.qr_error: str | None = None
        """Why the QR code could not be made while serving."""
        self.devices: list[DeviceRow] = []
        """Paired devices, active ones first (newest first), then the revoked ones."""
        self.confirming: DeviceRow | None = None
        """The device whose revocation waits for the user's confirmation."""
        self.busy = False
        self._unsubscribe: Callable[[], None] | None = None

    # --- lifetime ---------------------------------------------------------------------

    def open(self) -> None:
        """Follow the service's changes (once, however often called) and read it now."""
        if self._unsubscribe is None:
            self._unsubscribe = self.service.on_change(self.refresh)
        self.refresh()

    def close(self) -> None:
        """Stop following the service: the page is gone."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def refresh(self) -> None:
        """Re-read the status, the QR code and the devices, then tell the view."""
        self._reload()
        self.on_change()

    def _reload(self) -> None:
        service = self.service
        self.status = service.status()
        self.qr_png, self.qr_error = None, None
        if self.status.serving:
            try:
                self.qr_png = service.qr_png()
            except TandemError as exc:
                self.qr_error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        now = self.now()
        rows = [_row(d, now) for d in service.devices().list()]
        self.devices = [r for r in rows if not r.revoked] + [r for r in rows if r.revoked]

    # --- what the section shows -----------------------------------------------------------

    @property
    def serving(self) -> bool:
        """Whether Tandem serves on the LAN now."""
        return bool(self.status and self.status.serving)

    @property
    def url(self) -> str:
        """The address phones open, or "" when not serving."""
        return (self.status.url or "") if self.serving and self.status else ""

    @property
    def fingerprint(self) -> str:
        """The certificate's SHA-256 fingerprint, or "" when not serving."""
        return (self.status.fingerprint or "") if self.serving and self.status else ""

    def code_line(self) -> str:
        """The pairing code and when it expires (local time), or "" when there is none."""
        status = self.status
        if not self.serving or status is None or not status.code:
            return ""
        expires = status.code_expires_at
        if expires is None:
            return status.code
        if expires <= self.now():
            return f"{status.code} · expired: press New code"
        return f"{status.code} · expires at {expires.astimezone():%H:%M}"

    @property
    def error(self) -> str | None:
        """The one red sentence: the last action's failure, else why serving (or its QR) failed."""
        status_error = self.status.error if self.status else None
        return self.outcome.error or status_error or self.qr_error

    # --- actions ------------------------------------------------------------------------

    async def set_serving(self, on: bool) -> bool:
        """Start (`on`) or stop serving on the LAN; the switch's action."""
        self.busy = True
        self.on_change()
        try:
            if on:
                await self.service.start()
            else:
                await self.service.stop()
        except TandemError as exc:
            return self._failed(exc)
        finally:
            self.busy = False
        self._reload()
        if self.status is not None and self.status.error:
            self.outcome.notice = ""
        elif self.serving:
            self.outcome.notice = f"Serving at {self.url}"
        else:
            self.outcome.notice = "Stopped serving on your network; paired phones wait for it."
        return self.outcome.done()

    def new_code(self) -> bool:
        """Issue a fresh pairing code and QR code (the old code stops working)."""
        try:
            self.service.new_code()
        except TandemError as exc:
            return self._failed(exc)
        self._reload()
        self.outcome.notice = "New pairing code made; the old one no longer works."
        return self.outcome.done()

    def ask_revoke(self, device_id: str) -> None:
        """Ask the user to confirm revoking `device_id` (unknown or revoked: nothing)."""
        row = next((d for d in self.devices if d.device_id == device_id), None)
        self.confirming = row if row is not None and not row.revoked else None
        self.on_change()

    def cancel_revoke(self) -> None:
        """The user kept the device."""
        self.confirming = None
        self.on_change()

    def confirm_revoke(self) -> bool:
        """Revoke the device being confirmed; its token stops working at once."""
        row, self.confirming = self.confirming, None
        if row is None:
            return self.outcome.done()
        try:
            self.service.devices().revoke(row.device_id)
        except TandemError as exc:
            return self._failed(exc)
        self._reload()
        self.outcome.notice = f"{row.name} can no longer reach Tandem"
        return self.outcome.done()

    def _failed(self, exc: TandemError) -> bool:
        """Show `exc` after re-reading the service (so the rest of the page is current)."""
        self._reload()
        return self.outcome.fail(exc)
