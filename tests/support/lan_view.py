"""The desktop's LAN view (app/lan/service.py) served for real on loopback, in tests.

The LAN name `tandem-test.lan` is given through TANDEM_LAN_NAMES (as the browser tests do),
a stand-in app takes the place of the Flet app, and the phone is an httpx client that trusts
exactly the certificate Tandem made (no `verify=False`).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Lifespan

from app.lan.service import LanService
from router import Runtime
from router.endpoints.fake import FakeEndpoint

if TYPE_CHECKING:
    from tests.app.conftest import RuntimeFactory

LAN_NAME = "tandem-test.lan"
APP_TEXT = "the private app"
"""What the stand-in app's page says: a phone that reads it reached the app."""


async def _page(_request: object) -> PlainTextResponse:
    return PlainTextResponse(APP_TEXT)


def private_app(lifespan: Lifespan[Starlette] | None = None) -> Starlette:
    """The stand-in for the Flet app: `/` answers `APP_TEXT`."""
    return Starlette(routes=[Route("/", _page)], lifespan=lifespan)


@asynccontextmanager
async def lan_runtime(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    """A runtime over a fake model whose LAN view accepts `LAN_NAME`; afterwards its one
    service (`LanService.for_runtime`) is stopped, so no server outlives the test."""
    monkeypatch.setenv("TANDEM_LAN_NAMES", LAN_NAME)
    async with fake_runtime(FakeEndpoint()) as made:
        yield made
        await LanService.for_runtime(made).stop()


def phone(service: LanService) -> httpx.AsyncClient:
    """A client on loopback that trusts exactly the certificate the service made."""
    url = service.status().url
    assert url is not None and service.cert_path is not None
    port = url.rstrip("/").rsplit(":", 1)[1]
    trust = ssl.create_default_context(cafile=str(service.cert_path))
    return httpx.AsyncClient(base_url=f"https://127.0.0.1:{port}", verify=trust, timeout=10)
