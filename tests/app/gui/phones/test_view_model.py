"""The Phones view-model: the serving switch, pairing QR and code, paired devices, errors."""

from __future__ import annotations

from datetime import timedelta

from app.gui.phones.view_model import PhonesViewModel, ago
from router import TandemError
from tests.app.gui.phones.fake_lan import (
    FINGERPRINT,
    NOW,
    PORT_TAKEN,
    URL,
    FakeDevice,
    FakeLanService,
    pairing_url,
)


def opened(service: FakeLanService) -> tuple[PhonesViewModel, list[int]]:
    """A view-model shown on a page, counting its change notifications."""
    changes: list[int] = []
    vm = PhonesViewModel(service, now=lambda: NOW)
    vm.on_change = lambda: changes.append(1)
    vm.open()
    return vm, changes


async def test_the_switch_starts_serving_and_shows_the_qr_code_url_and_fingerprint() -> None:
    service = FakeLanService()
    vm, _ = opened(service)
    assert not vm.serving and vm.qr_png is None and vm.url == ""

    assert await vm.set_serving(True)

    assert service.calls == ["start"] and vm.serving
    assert vm.qr_png == b"\x89PNG " + pairing_url("CODE-0001").encode()
    assert vm.url == URL and vm.fingerprint == FINGERPRINT
    expires = (NOW + timedelta(minutes=10)).astimezone().strftime("%H:%M")
    assert vm.code_line() == f"CODE-0001 · expires at {expires}"
    assert vm.error is None and vm.outcome.notice == f"Serving at {URL}"


async def test_the_switch_stops_serving_and_the_pairing_details_go() -> None:
    service = FakeLanService()
    vm, _ = opened(service)
    await vm.set_serving(True)

    assert await vm.set_serving(False)

    assert service.calls == ["start", "stop"] and not vm.serving
    assert vm.qr_png is None and vm.code_line() == "" and vm.url == ""


async def test_new_code_replaces_the_code_and_the_qr_code() -> None:
    service = FakeLanService()
    vm, _ = opened(service)
    await vm.set_serving(True)

    assert vm.new_code()

    assert service.calls[-1] == "new_code"
    assert vm.code_line().startswith("CODE-0002 · expires at ")
    assert vm.qr_png is not None and b"code=CODE-0002" in vm.qr_png


async def test_an_expired_code_says_to_make_a_new_one() -> None:
    service = FakeLanService()
    vm = PhonesViewModel(service, now=lambda: NOW + timedelta(minutes=11))
    vm.open()
    await vm.set_serving(True)
    assert vm.code_line() == "CODE-0001 · expired: press New code"


async def test_a_start_that_fails_shows_the_service_s_sentence_in_red() -> None:
    service = FakeLanService()
    service.start_error = PORT_TAKEN
    vm, _ = opened(service)

    await vm.set_serving(True)

    assert not vm.serving and vm.qr_png is None
    assert vm.error == service.start_error and vm.outcome.notice == ""


async def test_a_tandem_error_from_the_service_is_shown_as_one_sentence() -> None:
    service = FakeLanService()
    service.start_raises = TandemError("This computer has no LAN address", "join a network")
    vm, _ = opened(service)

    assert not await vm.set_serving(True)

    assert vm.error == "This computer has no LAN address (join a network)"
    assert not vm.serving


async def test_a_qr_code_that_cannot_be_made_is_said_while_the_code_still_shows() -> None:
    service = FakeLanService()
    service.qr_raises = TandemError("The QR code could not be drawn", "type the code instead")
    vm, _ = opened(service)

    assert await vm.set_serving(True)

    assert vm.qr_png is None and vm.code_line().startswith("CODE-0001")
    assert vm.error == "The QR code could not be drawn (type the code instead)"


async def test_revoking_asks_first_then_calls_through_and_the_list_updates() -> None:
    service = FakeLanService()
    service.pair("Pixel 7", when=NOW - timedelta(days=3))
    service.pair("Anna's iPhone", when=NOW - timedelta(minutes=2))
    vm, _ = opened(service)
    assert [d.name for d in vm.devices] == ["Anna's iPhone", "Pixel 7"]

    vm.ask_revoke("dev1")
    assert vm.confirming is not None and vm.confirming.name == "Pixel 7"
    assert service.paired.revoked_ids == []  # nothing happens before the confirmation
    vm.cancel_revoke()
    assert vm.confirming is None and service.paired.revoked_ids == []

    vm.ask_revoke("dev1")
    assert vm.confirm_revoke()

    assert service.paired.revoked_ids == ["dev1"] and vm.confirming is None
    # The fake does not notify on revoke: the list updates because the view-model re-reads it.
    pixel = next(d for d in vm.devices if d.device_id == "dev1")
    assert pixel.revoked and vm.devices[-1] is pixel  # revoked ones go last
    assert vm.outcome.notice == "Pixel 7 can no longer reach Tandem"


async def test_revoking_a_device_that_is_gone_shows_why() -> None:
    service = FakeLanService()
    service.pair("Pixel 7")
    vm, _ = opened(service)
    vm.ask_revoke("nope")
    assert vm.confirming is None  # nothing to confirm
    vm.ask_revoke("dev1")
    service.paired.rows.clear()  # gone from the saved list while the dialog was open

    assert not vm.confirm_revoke()

    assert vm.error == "no paired device dev1 (refresh the list)" and vm.confirming is None


async def test_the_list_follows_the_service_s_changes_until_the_page_closes() -> None:
    service = FakeLanService()
    vm, changes = opened(service)
    assert len(service.listeners) == 1 and vm.devices == []

    service.pair("Pixel 7")
    assert [d.name for d in vm.devices] == ["Pixel 7"] and changes

    vm.close()
    assert service.listeners == []
    vm.close()  # closing twice is harmless
    vm.open()
    vm.open()  # opening twice subscribes once
    assert len(service.listeners) == 1


async def test_device_rows_say_when_it_paired_and_was_last_seen() -> None:
    service = FakeLanService()
    service.paired.rows = [
        FakeDevice("dev2", "Tablet", paired_at=NOW - timedelta(seconds=5)),
        FakeDevice("dev1", "Pixel 7", NOW - timedelta(days=3), NOW - timedelta(minutes=2)),
    ]
    vm, _ = opened(service)
    tablet, pixel = vm.devices
    assert (pixel.paired, pixel.last_seen) == ("paired 3 days ago", "last seen 2 minutes ago")
    assert (tablet.paired, tablet.last_seen) == ("paired just now", "not seen since pairing")


def test_ago_reads_like_speech() -> None:
    assert ago(NOW - timedelta(seconds=30), NOW) == "just now"
    assert ago(NOW + timedelta(seconds=30), NOW) == "just now"  # a clock a little ahead
    assert ago(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert ago(NOW - timedelta(minutes=59), NOW) == "59 minutes ago"
    assert ago(NOW - timedelta(hours=1, minutes=30), NOW) == "1 hour ago"
    assert ago(NOW - timedelta(hours=5), NOW) == "5 hours ago"
    assert ago(NOW - timedelta(days=1), NOW) == "1 day ago"
    assert ago(NOW - timedelta(days=29), NOW) == "29 days ago"
    assert ago(NOW - timedelta(days=40), NOW) == "on 24 Mar 2025"
