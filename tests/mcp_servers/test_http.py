"""Streamable HTTP: bearer token, Host/Origin validation, body limit, and a working client."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp_types import ElicitRequestParams, ElicitResult

from app.gui.main import free_port
from mcp_servers.http_serve import (
    MAX_REQUEST_BYTES,
    StaticTokenVerifier,
    http_app,
    load_or_create_token,
    token_file,
    transport_security,
)
from mcp_servers.serve import ServeError, ServeOptions
from router.paths import TandemPaths
from tests.mcp_servers.support import TOKEN, Tree, http_client, running

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def url(tree: Tree) -> Iterator[str]:
    port = free_port()
    options = ServeOptions(servers=("files", "sensors"), roots=(str(tree.root),))
    with running(http_app(options, token=TOKEN, port=port), port) as served:
        yield served


async def post(url: str, body: Any = INIT, **headers: str) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=30) as client:
        return await client.post(url, json=body, headers={**ACCEPT, **headers})


async def test_no_token_is_401(url: str) -> None:
    response = await post(url)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_wrong_token_is_401(url: str) -> None:
    assert (await post(url, Authorization="Bearer not-the-token")).status_code == 401
    assert (await post(url, Authorization=f"Basic {TOKEN}")).status_code == 401


async def test_foreign_origin_is_403_even_with_the_token(url: str) -> None:
    response = await post(url, Authorization=f"Bearer {TOKEN}", Origin="http://evil.example")
    assert response.status_code == 403


async def test_foreign_host_is_refused(url: str) -> None:
    response = await post(url, Authorization=f"Bearer {TOKEN}", Host="evil.example:80")
    assert response.status_code == 421


async def test_oversized_body_is_413(url: str) -> None:
    body = {**INIT, "padding": "x" * (MAX_REQUEST_BYTES + 1)}
    response = await post(url, body, Authorization=f"Bearer {TOKEN}")
    assert response.status_code == 413


async def test_good_token_and_local_origin_work(url: str) -> None:
    response = await post(url, Authorization=f"Bearer {TOKEN}", Origin="http://localhost:3000")
    assert response.status_code == 200
    async with http_client(TOKEN) as hc, Client(streamable_http_client(url, http_client=hc)) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        read = await c.call_tool("files_read", {"path": "root/hello.txt"})
        cpu = await c.call_tool("sensors_cpu", {})
    assert {"files_read", "sensors_cpu"} <= names
    assert not read.is_error and read.content[0].text.startswith("hello")  # type: ignore[union-attr]
    assert cpu.structured_content is not None and cpu.structured_content["logical_cores"] >= 1


async def test_token_verifier_accepts_only_the_token() -> None:
    verifier = StaticTokenVerifier(TOKEN)
    assert await verifier.verify_token(TOKEN) is not None
    assert await verifier.verify_token(TOKEN[:-1]) is None
    assert await verifier.verify_token("") is None


def test_token_is_created_once_and_private(tandem_home: TandemPaths) -> None:
    first = load_or_create_token(tandem_home)
    assert len(first) >= 32 and load_or_create_token(tandem_home) == first
    if os.name == "posix":
        assert stat.S_IMODE(token_file(tandem_home).stat().st_mode) == 0o600
    assert load_or_create_token(tandem_home, rotate=True) != first


def test_a_readable_token_file_is_refused(tandem_home: TandemPaths) -> None:
    load_or_create_token(tandem_home)
    token_file(tandem_home).chmod(0o644)
    with pytest.raises(ServeError, match="other users"):
        load_or_create_token(tandem_home)


def test_non_loopback_bind_needs_explicit_hosts() -> None:
    with pytest.raises(ServeError, match="--allow-host"):
        transport_security("0.0.0.0", [])
    settings = transport_security("0.0.0.0", ["my-pc.lan"])
    assert settings.enable_dns_rebinding_protection
    assert "my-pc.lan:*" in settings.allowed_hosts and "my-pc.lan" in settings.allowed_hosts
    loopback = transport_security("127.0.0.1", [])
    assert loopback.enable_dns_rebinding_protection and "localhost:*" in loopback.allowed_hosts


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_writes_over_http_are_confirmed_by_elicitation(tree: Tree, mode: str) -> None:
    port = free_port()
    options = ServeOptions(servers=("files",), roots=(str(tree.root),), write_enabled=True)
    asked: list[str] = []

    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": True})

    with running(http_app(options, token=TOKEN, port=port), port) as served:
        async with (
            http_client(TOKEN) as hc,
            Client(
                streamable_http_client(served, http_client=hc),
                elicitation_callback=answer,
                mode=mode,
            ) as c,
        ):
            result = await c.call_tool("files_write", {"path": "root/via_http.txt", "text": "ok"})
        async with (
            http_client(TOKEN) as hc,
            Client(streamable_http_client(served, http_client=hc), mode=mode) as c,
        ):
            refused = await c.call_tool("files_write", {"path": "root/refused.txt", "text": "no"})
    assert not result.is_error and (tree.root / "via_http.txt").read_text() == "ok"
    assert asked == ["Allow write of root/via_http.txt?"]
    assert refused.is_error and not (tree.root / "refused.txt").exists()
