"""The Phones view-model over the real `LanService`, served on loopback to a phone played by
httpx: switch on, pair, revoke, switch off, as the section does it.

As in tests/app/lan/test_service.py, the phone trusts exactly the certificate Tandem made
(no `verify=False`), the LAN name `tandem-test.lan` comes from TANDEM_LAN_NAMES, and a
stand-in app takes the place of the Flet app. The switch's `start()` (0.0.0.0:8643 in the
app) is pinned to 127.0.0.1 and a free port, so nothing listens beyond loopback.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import pytest

from app.gui.phones.lan_api import lan_service_for
from app.gui.phones.view_model import PhonesViewModel
from app.lan.service import LanService
from tests.app.conftest import RuntimeFactory
from tests.support.lan_view import APP_TEXT, lan_runtime, phone, private_app

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def service(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LanService]:
    async with lan_runtime(fake_runtime, monkeypatch) as runtime:
        lan = lan_service_for(runtime)
        assert isinstance(lan, LanService)
        lan.web_app = private_app()
        monkeypatch.setattr(lan, "start", functools.partial(lan.start, 0, "127.0.0.1"))
        yield lan


async def test_switch_on_pair_revoke_and_switch_off_over_the_real_service(
    service: LanService,
) -> None:
    changes: list[int] = []
    vm = PhonesViewModel(service)
    vm.on_change = lambda: changes.append(1)
    vm.open()
    assert not vm.serving and vm.devices == []

    assert await vm.set_serving(True)
    status = service.status()
    assert vm.serving and vm.error is None and status.code is not None
    assert vm.url == status.url and vm.url.startswith("https://tandem-test.lan:")
    assert vm.qr_png is not None and vm.qr_png.startswith(PNG_SIGNATURE)
    assert vm.code_line().startswith(f"{status.code} · expires at ")
    assert vm.fingerprint == status.fingerprint and len(vm.fingerprint.split(":")) == 32

    async with phone(service) as client:
        before = len(changes)
        paired = await client.post("/pair", json={"code": status.code, "name": "Pixel 7"})
        assert paired.status_code == 200, paired.text
        bearer = {"Authorization": f"Bearer {paired.json()['token']}"}
        # The service told the view-model; nothing here asked it to re-read.
        assert len(changes) > before
        assert [(d.name, d.revoked) for d in vm.devices] == [("Pixel 7", False)]
        assert not vm.code_line().startswith(status.code)  # the spent code was replaced
        assert (await client.get("/", headers=bearer)).text == APP_TEXT

        vm.ask_revoke(vm.devices[0].device_id)
        assert vm.confirm_revoke()
        assert [(d.name, d.revoked) for d in vm.devices] == [("Pixel 7", True)]
        refused = await client.get("/", headers=bearer)
        assert refused.status_code == 401 and APP_TEXT not in refused.text

    assert await vm.set_serving(False)
    stopped = service.status()
    assert not stopped.serving and (stopped.url, stopped.code, stopped.fingerprint) == (None,) * 3
    assert not vm.serving and vm.url == "" and vm.qr_png is None and vm.code_line() == ""
    assert vm.outcome.notice.startswith("Stopped serving")
    vm.close()
