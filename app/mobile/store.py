"""What the phone keeps: its pairing with your Tandem and your Anthropic key.

A phone has no OS keyring Tandem can use (no `keyring` wheel), and an app's data
folder is private to the app on Android and iOS, so both live in
`<data folder>/phone/` as JSON files only their owner can read (0600, written
atomically). Nothing here is ever logged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.mobile.pairing import Pairing
from router.errors import TandemError
from router.paths import TandemPaths
from router.private_file import write_private

PAIRING_FILE = "pairing.json"
CLOUD_KEY_FILE = "cloud.json"


class PhoneStore:
    """The phone's private files: one pairing and one Anthropic key at most."""

    def __init__(self, folder: Path) -> None:
        """Keep the files in `folder` (created, private to its owner, on first save)."""
        self.folder = folder

    @classmethod
    def for_paths(cls, paths: TandemPaths) -> PhoneStore:
        """The store in Tandem's data folder (on a phone: the app's own data folder)."""
        return cls(paths.data_dir / "phone")

    def pairing(self) -> Pairing | None:
        """The Tandem this phone is paired with, or None."""
        data = self._read(PAIRING_FILE)
        if data is None:
            return None
        try:
            return Pairing.from_json(data)
        except (KeyError, ValueError, TandemError):
            raise TandemError(
                "the saved pairing with your Tandem is damaged",
                "forget it and pair again with the QR code your Tandem shows",
            ) from None

    def save_pairing(self, pairing: Pairing) -> None:
        """Keep `pairing` (replacing any earlier one)."""
        self._write(PAIRING_FILE, pairing.to_json())

    def forget_pairing(self) -> None:
        """Drop the pairing (your Tandem can revoke its token from its list of devices)."""
        (self.folder / PAIRING_FILE).unlink(missing_ok=True)

    def cloud_key(self) -> str | None:
        """The Anthropic API key the user typed, or None."""
        data = self._read(CLOUD_KEY_FILE)
        key = data.get("anthropic") if data else None
        return key if isinstance(key, str) and key else None

    def save_cloud_key(self, key: str) -> None:
        """Keep the Anthropic API key `key` (whitespace around it dropped)."""
        key = key.strip()
        if not key:
            raise TandemError("the API key is empty", "paste the whole key")
        self._write(CLOUD_KEY_FILE, {"anthropic": key})

    def forget_cloud_key(self) -> None:
        """Drop the Anthropic API key."""
        (self.folder / CLOUD_KEY_FILE).unlink(missing_ok=True)

    def _read(self, name: str) -> dict[str, Any] | None:
        path = self.folder / name
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise TandemError(
                f"cannot read {path}", f"delete {path} and enter what it held again"
            ) from None
        return data if isinstance(data, dict) else None

    def _write(self, name: str, data: dict[str, Any]) -> None:
        """Write `data` atomically to a file only its owner can read."""
        write_private(self.folder / name, json.dumps(data, indent=2, sort_keys=True).encode())
