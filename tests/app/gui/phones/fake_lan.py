"""A LAN service for the Phones tests: the `LanService` protocol over plain lists, no sockets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from router import TandemError

NOW = datetime(2025, 5, 3, 12, 0, tzinfo=UTC)
FINGERPRINT = ":".join(["AB", "CD", "EF", "01"] * 8)
"""A SHA-256 as app/lan shows it: 32 bytes in colon hex."""
URL = "https://192.168.1.20:8643/"

PORT_TAKEN = (
    "cannot listen on 0.0.0.0:8643 (Address already in use); "
    "pick another --port, or stop the program using it"
)
"""A failure to serve as the real service reports it in `error`: "<what happened>; <what to do>"."""


def pairing_url(code: str) -> str:
    """The QR code's link as app/lan makes it: the fingerprint in the fragment as 64 hex."""
    return f"{URL}pair?code={code}#fp={FINGERPRINT.replace(':', '')}"


@dataclass(frozen=True)
class FakeStatus:
    """Same fields as app/lan's `LanStatus`."""

    serving: bool = False
    url: str | None = None
    pairing_url: str | None = None
    code: str | None = None
    code_expires_at: datetime | None = None
    fingerprint: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class FakeDevice:
    """Same fields as app/lan's `PairedDevice`."""

    device_id: str
    name: str
    paired_at: datetime
    last_seen: datetime | None = None
    revoked: bool = False


class FakeDevices:
    """The paired devices, newest first; revoking does not notify (the service does)."""

    def __init__(self) -> None:
        self.rows: list[FakeDevice] = []
        self.revoked_ids: list[str] = []

    def list(self) -> list[FakeDevice]:
        return list(self.rows)

    def revoke(self, device_id: str) -> None:
        if not any(d.device_id == device_id for d in self.rows):
            raise TandemError(f"no paired device {device_id}", "refresh the list")
        self.revoked_ids.append(device_id)
        self.rows = [replace(d, revoked=True) if d.device_id == device_id else d for d in self.rows]


class FakeLanService:
    """Records the calls; `start_error`, `start_raises` and `qr_raises` make things fail."""

    def __init__(self) -> None:
        self.current = FakeStatus()
        self.paired = FakeDevices()
        self.listeners: list[Callable[[], None]] = []
        self.calls: list[str] = []
        self.codes = 0
        self.start_error: str | None = None
        self.start_raises: TandemError | None = None
        self.qr_raises: TandemError | None = None

    def _code(self) -> FakeStatus:
        self.codes += 1
        code = f"CODE-{self.codes:04d}"
        return replace(
            self.current,
            code=code,
            pairing_url=pairing_url(code),
            code_expires_at=NOW + timedelta(minutes=10),
        )

    async def start(self, port: int | None = None, host: str | None = None) -> FakeStatus:
        self.calls.append("start")
        if self.start_raises is not None:
            raise self.start_raises
        if self.start_error is not None:
            self.current = FakeStatus(error=self.start_error)
        else:
            self.current = replace(self._code(), serving=True, url=URL, fingerprint=FINGERPRINT)
        self.notify()
        return self.current

    async def stop(self) -> None:
        self.calls.append("stop")
        self.current = FakeStatus()
        self.notify()

    def status(self) -> FakeStatus:
        return self.current

    def new_code(self) -> FakeStatus:
        self.calls.append("new_code")
        self.current = self._code()
        return self.current

    def devices(self) -> FakeDevices:
        return self.paired

    def qr_png(self) -> bytes:
        if self.qr_raises is not None:
            raise self.qr_raises
        if not self.current.serving:
            raise TandemError("Tandem is not serving on your network", "switch serving on")
        return b"\x89PNG " + (self.current.pairing_url or "").encode()

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback)

    def notify(self) -> None:
        """What the real service does on pair, revoke, start and stop."""
        for listener in list(self.listeners):
            listener()

    def pair(self, name: str, when: datetime = NOW) -> FakeDevice:
        """A phone pairs: added newest first, listeners told."""
        device = FakeDevice(f"dev{len(self.paired.rows) + 1}", name, paired_at=when)
        self.paired.rows.insert(0, device)
        self.notify()
        return device
