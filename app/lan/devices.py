"""The phones (and tablets) paired with this Tandem, kept in `<data folder>/lan/devices.json`.

A device proves itself with the bearer token it got when it paired. Only the token's
SHA-256 is stored, so the file alone lets nobody in. Every write is atomic (a temporary
file renamed over the old one) and keeps the previous file as `devices.json.bak`; a file
that cannot be read is an error that says what to do, and is never written over.

Another process (`tandem devices revoke`) may change the file while the server runs: the
store re-reads it whenever it changed on disk, so a revoke takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router import TandemError
from router.private_file import write_private

NAME_LIMIT = 60
"""Longest device name kept (characters): what a list row shows in full."""
SEEN_EVERY = timedelta(minutes=1)
"""Prior: `last_seen` is written at most this often per device, not on every request."""
_VERSION = 1


@dataclass(frozen=True)
class PairedDevice:
    """A paired phone as the user sees it in the list of devices."""

    device_id: str
    """Short random id, shown in lists and given to `tandem devices revoke`."""
    name: str
    """What the phone called itself ("Pixel 7", "Anna's iPhone")."""
    paired_at: datetime
    """When it paired (UTC)."""
    last_seen: datetime | None
    """Its last request (UTC, to the minute), None before the first after pairing."""
    revoked: bool


@dataclass(frozen=True)
class _Record:
    device: PairedDevice
    token_sha256: str


def devices_file(data_dir: Path) -> Path:
    """Where the paired devices of the data folder `data_dir` are kept."""
    return data_dir / "lan" / "devices.json"


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PairedDevices:
    """The paired devices in the file at `path` (created on the first pairing)."""

    def __init__(self, path: Path, on_change: Callable[[], None] | None = None) -> None:
        self.path = path
        self.on_change = on_change
        """Called after a device is added or revoked (the app's list of devices redraws)."""
        self._records: dict[str, _Record] = {}
        self._stamp: tuple[int, ...] | None = None

    def add(self, name: str) -> tuple[PairedDevice, str]:
        """Pair a device called `name`; return it and its bearer token (shown only now)."""
        records = self._load()
        token = secrets.token_urlsafe(32)
        device_id = secrets.token_hex(4)
        while device_id in records:
            device_id = secrets.token_hex(4)
        device = PairedDevice(device_id, _clean_name(name), _now(), None, revoked=False)
        self._save({**records, device_id: _Record(device, _hash(token))})
        self._changed()
        return device, token

    def check(self, token: str) -> PairedDevice | None:
        """The device holding `token`, None if unknown or revoked; records it as seen."""
        if not token:
            return None
        wanted = _hash(token)
        for record in self._load().values():
            if hmac.compare_digest(record.token_sha256, wanted):
                return None if record.device.revoked else self._seen(record)
        return None

    def list(self) -> list[PairedDevice]:
        """Every paired device, revoked ones included, the newest pairing first."""
        found = [record.device for record in self._load().values()]
        return sorted(found, key=lambda device: device.paired_at, reverse=True)

    def revoke(self, device_id: str) -> None:
        """Refuse the device from now on; raises `TandemError` for an unknown id."""
        records = self._load()
        record = records.get(device_id)
        if record is None:
            raise TandemError(
                f"there is no paired device with the id {device_id!r}",
                "see the ids with `tandem devices list`",
            )
        revoked = replace(record, device=replace(record.device, revoked=True))
        self._save({**records, device_id: revoked})
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _seen(self, record: _Record) -> PairedDevice:
        now = _now().replace(second=0, microsecond=0)
        last = record.device.last_seen
        if last is not None and now - last < SEEN_EVERY:
            return record.device
        seen = replace(record, device=replace(record.device, last_seen=now))
        self._save({**self._records, seen.device.device_id: seen})
        return seen.device

    def _load(self) -> dict[str, _Record]:
        """The records on disk, re-read only when the file changed since the last read."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._records, self._stamp = {}, None
            return {}
        stamp = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size)
        if stamp != self._stamp:
            self._records, self._stamp = self._read(), stamp
        return dict(self._records)

    def _read(self) -> dict[str, _Record]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {r.device.device_id: r for r in map(_record_from, data["devices"])}
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise TandemError(
                f"the list of paired devices ({self.path}) is damaged and was left as it is "
                f"({exc.__class__.__name__})",
                f"restore it from {self.path.name}.bak in the same folder, or delete it and "
                "pair your phones again",
            ) from None

    def _save(self, records: dict[str, _Record]) -> None:
        data = {"version": _VERSION, "devices": [_record_to(r) for r in records.values()]}
        if self.path.exists():
            shutil.copy2(self.path, self.path.with_name(f"{self.path.name}.bak"))
        write_private(self.path, json.dumps(data, indent=2).encode("utf-8"))
        self._records, self._stamp = records, None
        self._load()  # remember the new file's stamp, so the next check does not re-read it


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())[:NAME_LIMIT].strip()
    return cleaned or "Phone"


def _record_to(record: _Record) -> dict[str, Any]:
    device = record.device
    return {
        "device_id": device.device_id,
        "name": device.name,
        "token_sha256": record.token_sha256,
        "paired_at": device.paired_at.isoformat(),
        "last_seen": device.last_seen.isoformat() if device.last_seen else None,
        "revoked": device.revoked,
    }


def _record_from(raw: dict[str, Any]) -> _Record:
    """A record from its JSON; raises ValueError, TypeError or KeyError for a bad one."""
    name, device_id, digest = raw["name"], raw["device_id"], raw["token_sha256"]
    if not all(isinstance(v, str) for v in (name, device_id, digest)) or len(digest) != 64:
        raise ValueError("a device entry is malformed")
    seen = raw.get("last_seen")
    device = PairedDevice(
        device_id=device_id,
        name=name,
        paired_at=_utc(raw["paired_at"]),
        last_seen=_utc(seen) if seen is not None else None,
        revoked=bool(raw.get("revoked", False)),
    )
    return _Record(device, digest)


def _utc(text: Any) -> datetime:
    if not isinstance(text, str):
        raise TypeError("a date is not text")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("a date has no time zone")
    return parsed.astimezone(UTC)
