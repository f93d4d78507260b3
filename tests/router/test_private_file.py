"""`write_private`: the new content in a file only its owner can read, or the old file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from router.private_file import write_private

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")


@posix_only
def test_the_file_and_a_new_folder_are_its_owner_s_only(tmp_path: Path) -> None:
    target = tmp_path / "lan" / "key.pem"
    write_private(target, b"secret")
    assert target.read_bytes() == b"secret"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) & 0o077 == 0


def test_a_second_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "devices.json"
    write_private(target, b"old")
    write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["devices.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pairing.json"
    write_private(target, b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        write_private(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairing.json"]
