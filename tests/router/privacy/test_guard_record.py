"""Every client the guard's factory makes writes each request to the record of outbound requests.

A request that leaves gets its row before it is handed to the network, settled
with its status (or marked failed); one the guard stops is kept as blocked,
without its body; and when the row cannot be written, nothing is sent.
"""

from __future__ import annotations

import sqlite3

import httpx
import httpx2
import pytest

from router.errors import EgressBlockedError
from router.ledger.database import Database
from router.ledger.wire_log import WireLog
from router.privacy.guard import EgressPolicy, guarded_httpx2_client, guarded_httpx_client

SECRET = "4111 1111 1111 1111"


def _recorded() -> tuple[EgressPolicy, WireLog]:
    log = WireLog(Database())
    return EgressPolicy(recorder=log), log


async def test_each_request_an_httpx_client_sends_is_recorded_with_its_label() -> None:
    policy, log = _recorded()
    client = guarded_httpx_client(
        policy, "cloud", transport=httpx.MockTransport(lambda r: httpx.Response(201))
    )
    await client.post("https://api.example/v1/chat?key=k", json={"m": "hello"})
    (row,) = log.recent()
    assert (row.endpoint, row.method, row.host, row.path) == (
        "cloud",
        "POST",
        "api.example",
        "/v1/chat",
    )
    assert (row.outcome, row.status, row.body) == ("sent", 201, '{"m":"hello"}')


async def test_each_request_an_httpx2_client_sends_is_recorded_with_its_label() -> None:
    policy, log = _recorded()
    client = guarded_httpx2_client(
        policy, "MCP server notes", transport=httpx2.MockTransport(lambda r: httpx2.Response(200))
    )
    await client.post("http://10.0.0.5:8000/mcp", content=b"ping")
    (row,) = log.recent()
    assert (row.endpoint, row.host, row.path, row.body) == (
        "MCP server notes",
        "10.0.0.5:8000",
        "/mcp",
        "ping",
    )
    assert row.size_bytes == 4 and row.status == 200


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
async def test_a_blocked_request_is_recorded_as_blocked_without_its_body(library: str) -> None:
    policy, log = _recorded()
    sent: list[bytes] = []
    if library == "httpx":
        client: httpx.AsyncClient | httpx2.AsyncClient = guarded_httpx_client(
            policy,
            "cloud",
            transport=httpx.MockTransport(lambda r: sent.append(r.content) or httpx.Response(200)),
        )
    else:
        client = guarded_httpx2_client(
            policy,
            "cloud",
            transport=httpx2.MockTransport(
                lambda r: sent.append(r.content) or httpx2.Response(200)
            ),
        )
    with policy.protect([SECRET]), pytest.raises(EgressBlockedError):
        await client.post("https://api.example/v1", content=f"card {SECRET}".encode())
    (row,) = log.recent()
    assert sent == [] and row.outcome == "blocked" and row.body == "" and row.status is None
    assert row.size_bytes == len(f"card {SECRET}")


async def test_a_request_the_network_fails_is_recorded_as_failed() -> None:
    policy, log = _recorded()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = guarded_httpx_client(policy, "cloud", transport=httpx.MockTransport(refuse))
    with pytest.raises(httpx.ConnectError):
        await client.get("https://api.example/v1")
    (row,) = log.recent()
    assert row.outcome == "failed" and row.status is None


async def test_nothing_is_sent_when_the_record_cannot_be_written() -> None:
    database = Database()
    policy = EgressPolicy(recorder=WireLog(database))
    sent: list[bytes] = []
    client = guarded_httpx_client(
        policy,
        "cloud",
        transport=httpx.MockTransport(lambda r: sent.append(r.content) or httpx.Response(200)),
    )
    database.close()
    with pytest.raises(sqlite3.ProgrammingError):
        await client.post("https://api.example/v1", content=b"hello")
    assert sent == []


async def test_a_policy_without_a_record_still_guards() -> None:
    policy = EgressPolicy()
    client = guarded_httpx_client(
        policy, "cloud", transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    assert (await client.get("https://api.example/v1")).status_code == 200
    with policy.protect([SECRET]), pytest.raises(EgressBlockedError):
        await client.post("https://api.example/v1", content=SECRET.encode())
