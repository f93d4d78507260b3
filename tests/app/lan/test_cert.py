"""The LAN certificate: made once, reused, re-issued for new names, and never a crash."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.lan import cert
from app.lan.cert import ensure_certificate, served_names
from router import TandemError

NAMES = ("192.168.1.20", "desk", "desk.local", "localhost", "127.0.0.1")


def _sans(path: Path) -> set[str]:
    loaded = x509.load_pem_x509_certificate(path.read_bytes())
    sans = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(name.value) for name in sans}


def test_the_first_use_makes_a_certificate_for_every_name(tmp_path: Path) -> None:
    made = ensure_certificate(tmp_path / "lan", NAMES)
    assert made.cert_path == tmp_path / "lan" / "cert.pem"
    assert made.key_path == tmp_path / "lan" / "key.pem"
    assert _sans(made.cert_path) == set(NAMES)
    assert set(made.names) == set(NAMES)
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600
    # ssl itself can serve with the pair (the key matches the certificate).
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
        made.cert_path, made.key_path
    )


def test_ip_names_are_ip_addresses_in_the_certificate(tmp_path: Path) -> None:
    made = ensure_certificate(tmp_path, NAMES)
    loaded = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    sans = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("192.168.1.20") in sans.get_values_for_type(x509.IPAddress)
    assert "desk.local" in sans.get_values_for_type(x509.DNSName)


def test_the_fingerprint_is_the_sha256_of_the_certificate_in_colon_hex(tmp_path: Path) -> None:
    made = ensure_certificate(tmp_path, NAMES)
    loaded = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    digest = hashlib.sha256(loaded.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    assert made.fingerprint == ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def test_a_second_use_reuses_the_certificate(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path, NAMES)
    again = ensure_certificate(tmp_path, ("localhost", "desk"))
    assert again.fingerprint == first.fingerprint


def test_a_new_name_re_issues_it_with_the_same_key_and_the_old_names(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path, NAMES)
    key = first.key_path.read_bytes()
    moved = ensure_certificate(tmp_path, ("10.0.0.7", "localhost"))
    assert moved.fingerprint != first.fingerprint
    assert _sans(moved.cert_path) == {*NAMES, "10.0.0.7"}  # back home, the old address works
    assert moved.key_path.read_bytes() == key


def test_a_corrupt_certificate_is_replaced_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = ensure_certificate(tmp_path, NAMES)
    first.cert_path.write_text("not a certificate")
    first.key_path.write_text("not a key")
    with caplog.at_level(logging.WARNING, logger="app.lan"):
        again = ensure_certificate(tmp_path, NAMES)
    assert again.fingerprint != first.fingerprint
    assert _sans(again.cert_path) == set(NAMES)
    assert any("could not be read" in r.getMessage() for r in caplog.records)


def test_served_names_hold_the_lan_addresses_the_host_name_and_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cert, "lan_addresses", lambda: ["192.168.1.20"])
    monkeypatch.setattr(cert.socket, "gethostname", lambda: "Desk")
    names = served_names(["Tandem-Test.lan"])
    assert names[0] == "192.168.1.20"
    assert set(names) == {*NAMES, "tandem-test.lan"}


def test_an_extra_name_that_is_no_host_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cert, "lan_addresses", list)
    with pytest.raises(TandemError, match="not a host name"):
        served_names(["evil.example/path"])


def test_the_extra_names_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_LAN_NAMES", " tandem-test.lan , other.lan,")
    assert cert.extra_names_from_env() == ("tandem-test.lan", "other.lan")


def test_lan_addresses_are_ipv4_and_never_loopback() -> None:
    for address in cert.lan_addresses():
        parsed = ipaddress.ip_address(address)
        assert parsed.version == 4 and not parsed.is_loopback and not parsed.is_link_local
