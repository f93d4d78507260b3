"""The phone's private files: the pairing and the Anthropic key, readable by their owner only."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.mobile.pairing import Pairing
from app.mobile.store import PAIRING_FILE, PhoneStore
from router.errors import TandemError

PAIRING = Pairing(
    token="tok",
    device_id="dev1",
    edge_url="https://192.168.1.20:8643/v1",
    fingerprint="ab" * 32,
    certificate_pem="-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
    paired_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
)


def test_the_pairing_and_the_key_are_kept_in_private_files(tmp_path: Path) -> None:
    store = PhoneStore(tmp_path / "phone")
    assert store.pairing() is None and store.cloud_key() is None
    store.save_pairing(PAIRING)
    store.save_cloud_key("  sk-ant-typed \n")
    again = PhoneStore(tmp_path / "phone")
    assert again.pairing() == PAIRING and again.cloud_key() == "sk-ant-typed"
    for path in (tmp_path / "phone").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "phone").stat().st_mode) == 0o700
    again.forget_pairing()
    again.forget_cloud_key()
    assert again.pairing() is None and again.cloud_key() is None


def test_an_empty_key_and_a_damaged_pairing_say_what_to_do(tmp_path: Path) -> None:
    store = PhoneStore(tmp_path)
    with pytest.raises(TandemError, match="empty"):
        store.save_cloud_key("   ")
    (tmp_path / PAIRING_FILE).write_text('{"token": "t"}')
    with pytest.raises(TandemError, match="pair again"):
        store.pairing()


def test_the_base_url_is_the_edge_url_without_v1() -> None:
    assert PAIRING.base_url == "https://192.168.1.20:8643"
