"""LanService: the real HTTPS server on loopback, its pairing code, QR and notifications.

The phone is played by httpx, which checks the server against the certificate Tandem made
(no `verify=False`): a phone that pins the fingerprint sees the same. The LAN name
`tandem-test.lan` is given through TANDEM_LAN_NAMES, as the browser tests do.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from app.lan import cert, pairing
from app.lan.service import LanService
from router import Runtime, TandemError
from tests.support.lan_view import APP_TEXT, phone, private_app


@pytest.fixture
async def service(runtime: Runtime) -> AsyncIterator[LanService]:
    lan = LanService(runtime)
    lan.web_app = private_app()
    yield lan
    await lan.stop()


async def test_a_phone_pairs_over_https_and_then_reaches_the_app_and_the_edge_api(
    service: LanService,
) -> None:
    status = await service.start(0, "127.0.0.1")
    assert status.serving and status.error is None
    assert status.url is not None and status.url.startswith("https://tandem-test.lan:")
    assert status.code and status.fingerprint and status.code_expires_at
    async with phone(service) as client:
        unpaired = await client.get("/", headers={"Accept": "text/html"})
        assert unpaired.status_code == 401 and APP_TEXT not in unpaired.text
        paired = await client.post("/pair", json={"code": status.code, "name": "Pixel 7"})
        assert paired.status_code == 200, paired.text
        token = paired.json()["token"]
        assert paired.json()["fingerprint"] == status.fingerprint
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/", headers=bearer)).text == APP_TEXT
        request = {"model": "tandem-edge", "max_tokens": 16,
                   "messages": [{"role": "user", "content": "from the phone"}]}  # fmt: skip
        answer = await client.post("/v1/messages", json=request, headers=bearer)
        assert answer.json()["content"][0]["text"] == "echo: from the phone"
    assert [d.name for d in service.devices().list()] == ["Pixel 7"]
    assert service.status().code not in (None, status.code)  # a fresh code for the next phone


async def test_the_real_flet_app_is_served_to_a_paired_phone_only(runtime: Runtime) -> None:
    async def main(page: object) -> None:
        pass

    service = LanService(runtime)
    service.page_main = main
    status = await service.start(0, "127.0.0.1")
    try:
        assert status.serving, status.error
        async with phone(service) as client:
            unpaired = await client.get("/", headers={"Accept": "text/html"})
            assert unpaired.status_code == 401 and "flutter" not in unpaired.text.lower()
            paired = await client.post("/pair", data={"code": status.code, "name": "Pixel"})
            assert paired.status_code == 303
            page = await client.get("/")  # the cookie, as a browser holds it
            assert page.status_code == 200 and "flutter" in page.text.lower()
            token = client.cookies["tandem_device"]
        await _check_websockets(service, token)
    finally:
        await service.stop()
    assert not service.status().serving


async def test_listeners_hear_start_pairing_new_codes_and_stop(service: LanService) -> None:
    heard: list[bool] = []
    unsubscribe = service.on_change(lambda: heard.append(service.status().serving))
    await service.start(0, "127.0.0.1")
    first = service.status().code
    assert service.new_code().code != first
    device, _ = service.devices().add("Tablet")
    service.devices().revoke(device.device_id)
    count = len(heard)
    await service.stop()
    assert heard[-1] is False and len(heard) == count + 1 and count >= 4
    unsubscribe()
    await service.start(0, "127.0.0.1")
    assert len(heard) == count + 1


async def test_the_pairing_link_carries_the_code_and_the_fingerprint(service: LanService) -> None:
    status = await service.start(0, "127.0.0.1")
    assert status.fingerprint is not None
    assert status.pairing_url == (
        f"{status.url}pair?code={status.code}#fp={status.fingerprint.replace(':', '')}"
    )
    png = service.qr_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


async def test_no_qr_and_no_code_while_stopped(service: LanService) -> None:
    assert service.status().code is None and not service.status().serving
    await service.start(0, "127.0.0.1")
    await service.stop()
    stopped = service.status()
    assert (stopped.url, stopped.code, stopped.pairing_url, stopped.fingerprint) == (None,) * 4
    assert service.new_code().code is None
    with pytest.raises(TandemError, match="not serving"):
        service.qr_png()


async def test_a_taken_port_is_an_error_in_the_status_not_a_crash(service: LanService) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        status = await service.start(taken.getsockname()[1], "127.0.0.1")
    assert not status.serving and status.error is not None
    assert "cannot listen on 127.0.0.1" in status.error and "--port" in status.error
    assert (await service.start(0, "127.0.0.1")).serving
    await service.stop()
    assert service.status().error is None  # the failure before is not reported again


async def test_without_a_lan_address_it_says_to_join_the_phone_s_network(
    service: LanService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANDEM_LAN_NAMES")
    monkeypatch.setattr(cert, "lan_addresses", list)
    status = await service.start(0)
    assert not status.serving and status.error is not None
    assert "no address on a local network" in status.error


async def test_an_expired_code_is_renewed_and_the_listeners_told(
    service: LanService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pairing, "CODE_TTL", timedelta(seconds=0.2))
    await service.start(0, "127.0.0.1")
    first = service.status().code
    renewed = asyncio.Event()
    service.on_change(renewed.set)
    await asyncio.wait_for(renewed.wait(), 10)
    assert service.status().code not in (None, first)


def test_there_is_one_service_per_runtime(runtime: Runtime) -> None:
    assert LanService.for_runtime(runtime) is LanService.for_runtime(runtime)


async def test_an_app_served_on_loopback_keeps_its_lifespan_to_itself(runtime: Runtime) -> None:
    # Flet's lifespan empties its process-wide session manager on shutdown: stopping the LAN
    # view must not run it under the loopback server that still serves the same app.
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    service = LanService(runtime)
    service.web_app = private_app(lifespan)
    assert (await service.start(0, "127.0.0.1")).serving
    await service.stop()
    assert events == []


async def test_a_damaged_list_of_devices_is_an_error_at_start(service: LanService) -> None:
    service.devices().add("Pixel 7")
    service.devices().path.write_text("{ half a file")
    status = await service.start(0, "127.0.0.1")
    assert not status.serving and status.error is not None
    assert "damaged" in status.error and "devices.json.bak" in status.error


async def _check_websockets(service: LanService, token: str) -> None:
    """Flet's websocket over TLS: open with the device's cookie, refused (403) without it."""
    served = service.status().url
    assert served is not None and service.cert_path is not None
    port = served.rstrip("/").rsplit(":", 1)[1]
    trust = ssl.create_default_context(cafile=str(service.cert_path))
    url, origin = f"wss://127.0.0.1:{port}/ws", Origin(f"https://127.0.0.1:{port}")
    cookie = {"Cookie": f"tandem_device={token}"}
    async with connect(url, ssl=trust, origin=origin, additional_headers=cookie) as socket_:
        assert socket_.response is not None and socket_.response.status_code == 101
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, ssl=trust, origin=origin):
            pass
    assert refused.value.response.status_code == 403


async def test_a_start_without_arguments_serves_where_the_last_one_did(
    service: LanService,
) -> None:
    # The app's switch calls start() with no arguments: after `tandem --lan --port N
    # --lan-host H`, off and on again must not move to 0.0.0.0:8643 (home-screen links).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = await service.start(port, "127.0.0.1")
    await service.stop()

    again = await service.start()

    assert again.serving and again.url == first.url and first.url is not None
    assert first.url.endswith(f":{port}/")
    async with phone(service) as client:
        pair = await client.post("/pair", json={"code": again.code, "name": "Pixel 7"})
    assert pair.status_code == 200
