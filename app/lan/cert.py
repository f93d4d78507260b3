"""The certificate `tandem --web --lan` serves HTTPS with: self-signed, made on first use.

A phone's browser gives the camera and location only to secure pages, so the LAN view is
HTTPS. No authority can vouch for a computer's LAN address, so the certificate is
self-signed: the phone shows a warning once, and the user checks the SHA-256 fingerprint
that Tandem prints (and that the pairing QR carries) against the one the phone shows.

The pair lives in `<data folder>/lan/` (`cert.pem`, `key.pem` readable by its owner only).
It is reused while it names every address the server answers at; a new address (another
network) re-issues it with the same key and the old names kept, so going back home does
not change it again. A file that cannot be read is replaced, with a log line, never a crash.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.lan.options import NAMES_ENV
from router import TandemError
from router.private_file import write_private

log = logging.getLogger("app.lan")

CERT_FILE, KEY_FILE = "cert.pem", "key.pem"
VALID_DAYS = 825
"""Prior: the longest validity Apple's devices accept for a TLS server certificate."""
RENEW_WITHIN = timedelta(days=30)
"""Prior: re-issue a certificate this close to its end, so it never lapses mid-session."""
# Where a UDP "connect" is pointed to learn which local address routes there: a connect
# sends no packet, it only picks the interface. One per private range (RFC 1918).
_PROBES = ("10.255.255.255", "172.31.255.255", "192.168.255.255")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9-]{1,63})*$")


@dataclass(frozen=True)
class LanCertificate:
    """The certificate and key files, the certificate's fingerprint and the names it holds."""

    cert_path: Path
    key_path: Path
    fingerprint: str
    """SHA-256 of the certificate (DER), colon-separated upper-case hex: "AB:CD:..."."""
    names: tuple[str, ...]


def lan_addresses() -> list[str]:
    """This computer's IPv4 addresses other devices on its networks can reach, best first.

    Found without network traffic: the interface a UDP socket would use towards each
    private range, then the addresses the host name resolves to locally.
    """
    found: list[str] = []
    for probe in _PROBES:
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect((probe, 1))
            found.append(str(udp.getsockname()[0]))
    with contextlib.suppress(OSError):
        for *_, address in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(address[0]))
    reachable = [a for a in dict.fromkeys(found) if _reachable_from_others(a)]
    return reachable


def _reachable_from_others(address: str) -> bool:
    parsed = ipaddress.ip_address(address)
    return not (
        parsed.is_loopback or parsed.is_link_local or parsed.is_unspecified or parsed.is_multicast
    )


def extra_names_from_env() -> tuple[str, ...]:
    """The names in `TANDEM_LAN_NAMES` (comma-separated), in order."""
    raw = os.environ.get(NAMES_ENV, "")
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def served_names(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every name the LAN server answers at: LAN addresses, host name, `<host>.local`,
    localhost, 127.0.0.1, then `extra`. Raises `TandemError` for an extra that is no host name.
    """
    host = socket.gethostname().lower()
    names = [*lan_addresses(), host, f"{host.split('.')[0]}.local", "localhost", "127.0.0.1"]
    for name in extra:
        cleaned = name.strip().lower()
        if not _is_ip(cleaned) and not _HOST_NAME.match(cleaned):
            raise TandemError(
                f"{name!r} (in {NAMES_ENV} or --lan-host) is not a host name or an IP address",
                "give names like tandem.lan or 192.168.1.20, separated by commas",
            )
        names.append(cleaned)
    return tuple(dict.fromkeys(n for n in names if n))


def ensure_certificate(folder: Path, names: Sequence[str]) -> LanCertificate:
    """Return the certificate in `folder` for `names`, making or re-issuing it when needed."""
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    key, current = _load(cert_path, key_path)
    if current is not None and key is not None:
        held = _names_of(current)
        fresh = current.not_valid_after_utc - datetime.now(UTC) > RENEW_WITHIN
        if fresh and set(names) <= set(held):
            return LanCertificate(cert_path, key_path, fingerprint(current), held)
        names = [*held, *(n for n in names if n not in held)] if fresh else list(names)
        log.info("issuing a new LAN certificate for %s", ", ".join(names))
    if key is None:
        key = ec.generate_private_key(ec.SECP256R1())
        write_private(key_path, key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))  # fmt: skip
    made = _issue(key, names)
    write_private(cert_path, made.public_bytes(serialization.Encoding.PEM))
    return LanCertificate(cert_path, key_path, fingerprint(made), _names_of(made))


def fingerprint(certificate: x509.Certificate) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it: "AB:CD:...:EF"."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def _load(
    cert_path: Path, key_path: Path
) -> tuple[ec.EllipticCurvePrivateKey | None, x509.Certificate | None]:
    """The key and certificate on disk; None for either that is missing or unreadable."""
    if not cert_path.exists() and not key_path.exists():
        return None, None
    key: ec.EllipticCurvePrivateKey | None = None
    try:
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if isinstance(loaded, ec.EllipticCurvePrivateKey):
            key = loaded
        current = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        log.warning(
            "the LAN certificate in %s could not be read (%s); a new one is made, and phones "
            "will show its new fingerprint once",
            cert_path.parent,
            exc,
        )
        return key, None
    if key is None or current.public_key() != key.public_key():
        log.warning("the LAN certificate in %s does not match its key; a new one is made",
                    cert_path.parent)  # fmt: skip
        return key, None
    return key, current


def _issue(key: ec.EllipticCurvePrivateKey, names: Sequence[str]) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tandem on this computer")])
    alternatives: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address(n)) if _is_ip(n) else x509.DNSName(n) for n in names
    ]
    now = datetime.now(UTC)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a phone's clock a little behind
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _names_of(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(str(name.value) for name in sans)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
