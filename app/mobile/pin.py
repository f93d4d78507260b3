"""Trusting exactly one certificate: the one whose SHA-256 fingerprint the pairing QR carries.

Your Tandem serves the LAN with a self-signed certificate (app/lan/cert.py), so no
certificate authority vouches for it. The pairing link carries its fingerprint
(`#fp=`, never sent over the network), which is what the phone trusts: it fetches
the certificate the server presents, compares the fingerprint, and from then on
verifies every connection against that certificate alone (`pinned_context`: it is
the only trust anchor, so no other certificate, however issued, is accepted).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
import ssl

from router.errors import TandemError

_HEX64 = re.compile(r"[0-9a-f]{64}")
FETCH_TIMEOUT_S = 10.0
"""Prior: how long to wait for the server's certificate on the local network."""


def normalize_fingerprint(text: str) -> str:
    """`text` as 64 lower-case hex digits ("AB:CD:..." and plain hex are both accepted)."""
    plain = text.replace(":", "").strip().lower()
    if not _HEX64.fullmatch(plain):
        raise TandemError(
            "the pairing link's certificate fingerprint is not a SHA-256 fingerprint",
            "scan the QR code again, or copy the whole link your Tandem shows",
        )
    return plain


def certificate_fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate, as 64 lower-case hex digits."""
    return hashlib.sha256(der).hexdigest()


def fingerprints_match(der: bytes, expected: str) -> bool:
    """True when the certificate `der` has the fingerprint `expected` (any accepted form)."""
    return hmac.compare_digest(certificate_fingerprint(der), normalize_fingerprint(expected))


def fetch_certificate(host: str, port: int, timeout_s: float = FETCH_TIMEOUT_S) -> bytes:
    """The certificate `host:port` presents (DER), read without trusting it yet.

    Nothing is sent but the TLS handshake; the caller compares the fingerprint
    before anything else goes to this server.
    """
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE  # trusted only once its fingerprint matches
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            probe.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise TandemError(
            f"cannot reach your Tandem at {host}:{port} ({type(exc).__name__}: {exc})",
            "check that the phone is on the same network and `tandem --web --lan` is running",
        ) from None
    if not der:
        raise TandemError(f"{host}:{port} presented no certificate", "check the address")
    return der


def pinned_certificate(host: str, port: int, fingerprint: str) -> str:
    """The server's certificate as PEM, once its fingerprint matches the pairing link's.

    Raises `TandemError` when it does not: someone else may be answering at that address.
    """
    der = fetch_certificate(host, port)
    if not fingerprints_match(der, fingerprint):
        raise TandemError(
            f"the certificate at {host}:{port} is not the one in the pairing link, so the "
            "phone will not talk to it",
            "check that you scanned the code your own Tandem shows, on your own network",
        )
    return ssl.DER_cert_to_PEM_cert(der)


def pinned_context(certificate_pem: str) -> ssl.SSLContext:
    """A client TLS context that trusts `certificate_pem` and nothing else.

    The system's certificate authorities are not loaded (`cadata` replaces them), and
    the host name is still checked against the certificate's names.
    """
    context = ssl.create_default_context(cadata=certificate_pem)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
