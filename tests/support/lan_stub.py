"""A loopback stand-in for `tandem --web --lan`, following the pairing API of issue 20.

Real TLS with a self-signed certificate made here by `cryptography` (a leaf, not a
CA, as app/lan makes it); `POST /pair` with a JSON body answers `{"token",
"device_id", "edge_url", "fingerprint"}` for the right code (403 otherwise, 429
with Retry-After after too many tries); `/v1/...` is router/edge/server.py's app
over the given endpoint, authorised by the token. Every request's path and body,
as the server received it, is kept in `requests` (the edge server's request log).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Message, Receive, Scope, Send

from app.gui.main import free_port
from router.edge.server import create_app
from router.endpoints.base import Endpoint
from tests.support.loopback import served_in_thread

CODE = "K7QD-M2XP"
MAX_TRIES = 3


@dataclass(frozen=True)
class StubCertificate:
    """The stub's certificate files and the fingerprint its pairing link carries."""

    cert_file: Path
    key_file: Path
    fingerprint: str
    """"AB:CD:..." colon hex of the SHA-256, as app/lan shows it."""


def make_certificate(folder: Path, host: str = "127.0.0.1") -> StubCertificate:
    """A self-signed EC certificate for `host` and localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tandem test")])
    now = dt.datetime.now(dt.UTC)
    sans = [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    return StubCertificate(cert_file, key_file, fingerprint)


@dataclass
class LanStub:
    """The stub's state: the token it issued, the tries it counted, the requests it got."""

    certificate: StubCertificate
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    tries: int = 0
    paired: list[str] = field(default_factory=list)
    requests: list[tuple[str, bytes]] = field(default_factory=list)
    """(path, body) of every request that reached the server, in order."""

    async def pair(self, request: Request) -> Response:
        """`POST /pair` with JSON: the token for the right code, 403/429 otherwise."""
        self.tries += 1
        if self.tries > MAX_TRIES:
            return _error(429, "rate_limit_error", "Too many attempts.", {"Retry-After": "60"})
        fields = json.loads(await request.body())
        if fields.get("code") != CODE:
            return _error(403, "permission_error", "The pairing code is wrong or expired.")
        self.paired.append(str(fields.get("name", "")))
        return JSONResponse(
            {
                "token": self.token,
                "device_id": "dev1",
                "edge_url": f"https://{request.headers['host']}/v1",
                "fingerprint": self.certificate.fingerprint,
            }
        )

    def app(self, endpoint: Endpoint) -> Any:
        """The ASGI app: pairing, the edge API over `endpoint`, and the request log."""
        edge = create_app(endpoint, model_id="tandem", api_key=self.token)
        inner = Starlette(
            routes=[Route("/pair", self.pair, methods=["POST"]), Mount("/", app=edge)],
            lifespan=edge.router.lifespan_context,
        )

        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await inner(scope, receive, send)
                return
            entry = (str(scope["path"]), bytearray())
            self.requests.append((entry[0], b""))
            index = len(self.requests) - 1

            async def recording() -> Message:
                message = await receive()
                entry[1].extend(message.get("body", b""))
                self.requests[index] = (entry[0], bytes(entry[1]))
                return message

            await inner(scope, recording, send)

        return logged


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return JSONResponse(body, status, headers)


def pairing_link(port: int, fingerprint: str, code: str = CODE, host: str = "127.0.0.1") -> str:
    """The QR code's link, as app/lan writes it (the fingerprint as plain hex)."""
    return f"https://{host}:{port}/pair?code={code}#fp={fingerprint.replace(':', '')}"


@contextmanager
def serve_stub(stub: LanStub, endpoint: Endpoint) -> Iterator[int]:
    """Serve the stub over HTTPS on a free loopback port in a thread; yields the port."""
    port = free_port()
    config = uvicorn.Config(
        stub.app(endpoint),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(stub.certificate.cert_file),
        ssl_keyfile=str(stub.certificate.key_file),
    )
    with served_in_thread(config, "the loopback pairing stub"):
        yield port
