"""What `tandem --web --lan` prints: the address, fingerprint, code and QR, then changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette

from app.lan.service import LanStatus
from app.lan.terminal import ChangePrinter, LanLaunch, lan_banner, start_lan_view
from router import Runtime, TandemError

STATUS = LanStatus(
    serving=True,
    url="https://192.168.1.20:8643/",
    pairing_url="https://192.168.1.20:8643/pair?code=K7QD-M2XP#fp=ABCD",
    code="K7QD-M2XP",
    code_expires_at=datetime(2026, 5, 1, 12, 10, tzinfo=UTC),
    fingerprint="AB:CD",
    error=None,
)


def test_the_banner_gives_the_address_fingerprint_code_and_a_qr_code() -> None:
    text = lan_banner(STATUS)
    assert "Phones on your network: https://192.168.1.20:8643/" in text
    assert "Certificate fingerprint (SHA-256): AB:CD" in text
    assert "Pairing code: K7QD-M2XP (works once, until" in text
    assert "https://192.168.1.20:8643/pair on the phone" in text
    assert text.count("█") > 100  # the QR code, drawn with blocks


async def test_starting_prints_the_banner_then_each_pairing_and_new_code(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    service = await start_lan_view(runtime, Starlette(), LanLaunch(0, "127.0.0.1"))
    banner = capsys.readouterr().out
    assert f"Pairing code: {service.status().code}" in banner
    service.devices().add("Pixel 7")
    service.new_code()
    later = capsys.readouterr().out
    assert "Paired: Pixel 7" in later
    assert f"Pairing code: {service.status().code}" in later
    assert "the previous one no longer works" in later


async def test_a_printer_is_quiet_when_nothing_it_shows_changed(runtime: Runtime) -> None:
    service = await start_lan_view(runtime, Starlette(), LanLaunch(0, "127.0.0.1"))
    printed: list[str] = []
    ChangePrinter(service, printed.append)()
    assert printed == []


async def test_a_failure_to_serve_is_an_error_with_a_hint(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANDEM_LAN_NAMES")
    monkeypatch.setattr("app.lan.cert.lan_addresses", list)
    with pytest.raises(TandemError, match="no address on a local network") as caught:
        await start_lan_view(runtime, Starlette(), LanLaunch(0))
    assert "Wi-Fi" in caught.value.hint
