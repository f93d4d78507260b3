import base64
import json
import logging
from urllib.parse import quote

import httpx
import httpx2
import pytest

from router.errors import EgressBlockedError
from router.privacy.guard import EgressPolicy, guarded_httpx2_client, guarded_httpx_client
from router.types import ProtectedValue

SECRET = "Zoë Müller 4111 1111 1111 1111"
PV = ProtectedValue(type="CREDIT_CARD", value=SECRET, action="keep_local")


def _forms() -> list[bytes]:
    raw = SECRET.encode()
    forms = [raw, json.dumps({"c": SECRET}).encode(), quote(SECRET).encode()]
    for pad in (b"", b"x", b"xy"):  # every alignment inside a base64 blob
        forms.append(base64.b64encode(b"data:" + pad + raw + b" tail"))
        forms.append(base64.urlsafe_b64encode(pad + raw))
    return forms


@pytest.mark.parametrize("body", _forms())
async def test_httpx_guard_blocks_every_encoding(
    body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[bytes] = []
    policy = EgressPolicy()
    client = guarded_httpx_client(
        policy,
        "cloud",
        transport=httpx.MockTransport(lambda r: sent.append(r.content) or httpx.Response(200)),
    )
    with caplog.at_level(logging.DEBUG), policy.protect([PV]), pytest.raises(EgressBlockedError):
        await client.post("https://api.example/v1", content=body)
    assert sent == []
    assert "CREDIT_CARD" in caplog.text and "cloud" in caplog.text
    assert "Müller" not in caplog.text and "4111" not in caplog.text
    # Once the turn is over the value is no longer protected.
    await client.post("https://api.example/v1", content=body)
    assert len(sent) == 1


@pytest.mark.parametrize("body", _forms())
async def test_httpx2_guard_blocks_every_encoding(body: bytes) -> None:
    sent: list[bytes] = []
    policy = EgressPolicy()
    client = guarded_httpx2_client(
        policy,
        "claude",
        transport=httpx2.MockTransport(lambda r: sent.append(r.content) or httpx2.Response(200)),
    )
    with policy.protect([PV]), pytest.raises(EgressBlockedError):
        await client.post("https://api.example/v1", content=body)
    assert sent == []


async def test_values_in_urls_and_headers_are_blocked_and_clean_data_passes() -> None:
    sent: list[httpx.Request] = []
    policy = EgressPolicy()
    client = guarded_httpx_client(
        policy,
        "cloud",
        transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)),
    )
    with policy.protect(["sk-ant-abcdefghijklmnop", "Al"]):
        with pytest.raises(EgressBlockedError):
            await client.get("https://api.example/v1", params={"q": "sk-ant-abcdefghijklmnop"})
        with pytest.raises(EgressBlockedError):
            await client.get("https://api.example/v1", headers={"x-k": "sk-ant-abcdefghijklmnop"})
        with pytest.raises(EgressBlockedError):
            await client.post("https://api.example/v1", json={"m": "hi\nAl"})
        await client.post("https://api.example/v1", json={"m": "Also fine, nothing here"})
    assert len(sent) == 1
    assert policy.blocked == 3
