"""Pairing the phone with a Tandem over the LAN: the link, the pinned certificate, the token."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.mobile.pairing import Pairing, pair, parse_pairing_link
from app.mobile.pin import normalize_fingerprint, pinned_context
from router.errors import TandemError
from tests.support.lan_stub import (
    CODE,
    MAX_TRIES,
    LanStub,
    make_certificate,
    pairing_link,
)


def test_a_pairing_link_names_the_host_the_code_and_the_certificate() -> None:
    fp = "AB" * 32
    link = parse_pairing_link(f"https://192.168.1.20:8643/pair?code=K7QD-M2XP#fp={fp}")
    assert (link.host, link.port, link.code) == ("192.168.1.20", 8643, "K7QD-M2XP")
    assert link.fingerprint == "ab" * 32 and link.origin == "https://192.168.1.20:8643"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http://host:1/pair?code=C#fp=" + "ab" * 32, "https://"),
        ("https://host:1/chat?code=C#fp=" + "ab" * 32, "/pair"),
        ("https://host:1/pair#fp=" + "ab" * 32, "no pairing code"),
        ("https://host:1/pair?code=C", "no certificate fingerprint"),
        ("https://host:1/pair?code=C#fp=abcd", "not a SHA-256"),
    ],
)
def test_a_link_that_is_not_a_pairing_link_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(TandemError, match=says):
        parse_pairing_link(text)


def test_fingerprints_are_read_with_or_without_colons() -> None:
    assert normalize_fingerprint(":".join(["AB"] * 32)) == normalize_fingerprint("ab" * 32)


async def test_pairing_pins_the_certificate_and_keeps_the_token(stub: LanStub, port: int) -> None:
    link = parse_pairing_link(pairing_link(port, stub.certificate.fingerprint))
    pairing = await pair(link, "Pixel 7")
    assert pairing.token == stub.token and pairing.device_id == "dev1"
    assert pairing.base_url == f"https://127.0.0.1:{port}"
    assert stub.paired == ["Pixel 7"]
    assert stub.certificate.cert_file.read_text() == pairing.certificate_pem.replace("\r", "")
    assert Pairing.from_json(pairing.to_json()) == pairing


async def test_a_server_with_another_certificate_gets_nothing(
    stub: LanStub, port: int, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = make_certificate(tmp_path / "other")
    link = parse_pairing_link(pairing_link(port, other.fingerprint))
    with pytest.raises(TandemError, match="not the one in the pairing link"):
        await pair(link, "Pixel 7")
    assert stub.requests == [] and stub.paired == []


async def test_a_wrong_code_is_refused_and_too_many_tries_say_when_to_retry(
    stub: LanStub, port: int
) -> None:
    wrong = parse_pairing_link(pairing_link(port, stub.certificate.fingerprint, code="NOPE"))
    for _ in range(MAX_TRIES):
        with pytest.raises(TandemError, match=r"refused the pairing code .*wrong or expired"):
            await pair(wrong, "Pixel 7")
    right = parse_pairing_link(pairing_link(port, stub.certificate.fingerprint, code=CODE))
    with pytest.raises(TandemError, match="wait 60 seconds"):
        await pair(right, "Pixel 7")


async def test_the_pinned_context_trusts_that_certificate_alone(
    stub: LanStub, port: int, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = make_certificate(tmp_path / "other")
    url = f"https://127.0.0.1:{port}/v1/models"
    trusted = stub.certificate.cert_file.read_text()
    async with httpx.AsyncClient(verify=pinned_context(trusted)) as client:
        assert (await client.get(url)).status_code == 401  # reached: the token is missing
    async with httpx.AsyncClient(verify=pinned_context(other.cert_file.read_text())) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(url)
    # The one certificate is all it holds: the system's authorities are not loaded.
    assert pinned_context(trusted).cert_store_stats() == {"crl": 0, "x509_ca": 0, "x509": 1}
