"""`tandem devices list|revoke` and `tandem --lan`: the command line of the LAN view."""

from __future__ import annotations

from typing import Any

import pytest

from app.cli.main import main
from app.lan.devices import PairedDevices, devices_file
from router.paths import TandemPaths


def test_list_says_how_to_pair_when_nothing_is_paired(
    tandem_home: TandemPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices", "list"]) == 0
    assert "tandem --web --lan" in capsys.readouterr().out


def test_list_shows_the_devices_newest_first_and_which_are_revoked(
    tandem_home: TandemPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    store = PairedDevices(devices_file(tandem_home.data_dir))
    old, _ = store.add("Old phone")
    store.add("Pixel 7")
    store.revoke(old.device_id)
    assert main(["devices", "list"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["ID", "NAME", "PAIRED", "LAST", "SEEN"]
    assert "Pixel 7" in rows[1] and "never" in rows[1] and "revoked" not in rows[1]
    assert rows[2].startswith(old.device_id) and rows[2].endswith("(revoked)")


def test_revoke_refuses_the_device_s_token(
    tandem_home: TandemPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    device, token = PairedDevices(devices_file(tandem_home.data_dir)).add("Lost phone")
    assert main(["devices", "revoke", device.device_id]) == 0
    assert f"Revoked {device.device_id}" in capsys.readouterr().out
    assert PairedDevices(devices_file(tandem_home.data_dir)).check(token) is None


def test_revoking_an_unknown_id_is_a_clear_error(
    tandem_home: TandemPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices", "revoke", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no paired device" in err and "tandem devices list" in err


def test_lan_options_reach_the_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("app.gui.main.run_gui", lambda **options: calls.append(options))
    assert main(["--web", "--lan", "--port", "9443", "--lan-host", "127.0.0.1"]) == 0
    assert calls == [
        {"web": True, "port": 9443, "model": None, "lan": True, "lan_host": "127.0.0.1"}
    ]
