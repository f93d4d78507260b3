"""Paired devices: kept across restarts, tokens only as hashes, revocable, never lost."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.lan import devices as devices_module
from app.lan.devices import PairedDevices
from router import TandemError


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "lan" / "devices.json"


def test_a_paired_device_is_known_by_its_token_after_a_restart(store_path: Path) -> None:
    device, token = PairedDevices(store_path).add("Pixel 7")
    found = PairedDevices(store_path).check(token)
    assert found is not None
    assert (found.device_id, found.name, found.revoked) == (device.device_id, "Pixel 7", False)
    assert found.paired_at.tzinfo is not None


def test_tokens_are_long_random_and_kept_only_as_sha256(store_path: Path) -> None:
    _, token = PairedDevices(store_path).add("Pixel 7")
    _, other = PairedDevices(store_path).add("iPhone")
    assert token != other and len(token) >= 40
    text = store_path.read_text()
    assert token not in text
    assert hashlib.sha256(token.encode()).hexdigest() in text
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600


def test_an_unknown_token_is_none(store_path: Path) -> None:
    PairedDevices(store_path).add("Pixel 7")
    assert PairedDevices(store_path).check("guess") is None
    assert PairedDevices(store_path).check("") is None


def test_check_records_when_the_device_was_last_seen(store_path: Path) -> None:
    store = PairedDevices(store_path)
    device, token = store.add("Pixel 7")
    assert device.last_seen is None
    store.check(token)
    (listed,) = PairedDevices(store_path).list()
    assert listed.last_seen is not None
    assert datetime.now(UTC) - listed.last_seen < timedelta(minutes=5)


def test_the_list_is_newest_first(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PairedDevices(store_path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for hour, name in enumerate(["old", "middle", "new"]):
        monkeypatch.setattr(devices_module, "_now", lambda hour=hour: start + timedelta(hours=hour))
        store.add(name)
    assert [d.name for d in store.list()] == ["new", "middle", "old"]


def test_a_revoked_device_is_refused_and_stays_listed(store_path: Path) -> None:
    store = PairedDevices(store_path)
    device, token = store.add("Lost phone")
    other, other_token = store.add("Tablet")
    store.revoke(device.device_id)
    assert PairedDevices(store_path).check(token) is None
    assert PairedDevices(store_path).check(other_token) is not None
    revoked = {d.device_id: d.revoked for d in PairedDevices(store_path).list()}
    assert revoked == {device.device_id: True, other.device_id: False}


def test_a_revoke_elsewhere_is_seen_by_a_store_already_open(store_path: Path) -> None:
    serving = PairedDevices(store_path)  # the server's, open while `tandem devices revoke` runs
    device, token = serving.add("Pixel 7")
    assert serving.check(token) is not None
    PairedDevices(store_path).revoke(device.device_id)
    assert serving.check(token) is None


def test_revoking_an_unknown_id_says_how_to_see_the_ids(store_path: Path) -> None:
    PairedDevices(store_path).add("Pixel 7")
    with pytest.raises(TandemError, match="no paired device") as caught:
        PairedDevices(store_path).revoke("nope")
    assert "tandem devices list" in caught.value.hint


def test_a_missing_file_is_an_empty_list(store_path: Path) -> None:
    assert PairedDevices(store_path).list() == []
    assert not store_path.exists()


def test_a_corrupt_file_is_an_error_that_says_what_to_do_and_is_kept(store_path: Path) -> None:
    store = PairedDevices(store_path)
    store.add("Pixel 7")
    store.add("iPhone")  # the write before this one is kept as devices.json.bak
    store_path.write_text("{ half a file")
    with pytest.raises(TandemError, match="damaged") as caught:
        PairedDevices(store_path).list()
    assert "devices.json.bak" in caught.value.hint
    with pytest.raises(TandemError):
        PairedDevices(store_path).add("Tablet")  # no write over the damaged file
    assert store_path.read_text() == "{ half a file"
    backup = json.loads(store_path.with_name("devices.json.bak").read_text())
    assert [d["name"] for d in backup["devices"]] == ["Pixel 7"]


def test_a_file_of_the_wrong_shape_is_damaged_too(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_text(json.dumps({"devices": [{"name": 3}]}))
    with pytest.raises(TandemError, match="damaged"):
        PairedDevices(store_path).check("token")


def test_a_name_is_trimmed_and_bounded(store_path: Path) -> None:
    device, _ = PairedDevices(store_path).add("  " + "x" * 200 + "\n")
    assert device.name == "x" * 60
    assert PairedDevices(store_path).add("   ")[0].name == "Phone"
