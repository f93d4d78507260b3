"""Pairing the phone with your own Tandem (the protocol of app/lan, `tandem --web --lan`).

The desktop shows a QR code of `https://<host>:<port>/pair?code=<CODE>#fp=<SHA-256>`.
The phone reads the link (`parse_pairing_link`), pins the certificate whose
fingerprint it carries (app/mobile/pin.py), and POSTs `{"code", "name"}` as JSON to
`/pair` over that pinned connection. The answer is `{"token", "device_id",
"edge_url", "fingerprint"}`: the token authorises the phone at `edge_url`, the
Anthropic-API edge endpoint of your Tandem ("my Tandem" on the phone).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from app.mobile.pin import normalize_fingerprint, pinned_certificate, pinned_context
from router.errors import TandemError
from router.privacy.guard import EgressPolicy, guarded_httpx_client

PAIR_TIMEOUT_S = 15.0
"""Prior: the whole pairing request on the local network."""
_RESCAN = "scan the QR code again, or copy the whole link your Tandem shows"


@dataclass(frozen=True)
class PairingLink:
    """What the pairing QR code says: where your Tandem is, the code, the certificate."""

    host: str
    port: int
    code: str
    fingerprint: str
    """The certificate's SHA-256, 64 lower-case hex digits."""

    @property
    def origin(self) -> str:
        """`https://host:port`, the address the phone pairs with."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"


@dataclass(frozen=True)
class Pairing:
    """A paired Tandem as the phone keeps it (app/mobile/store.py)."""

    token: str
    device_id: str
    edge_url: str
    """`https://host:port/v1`, as your Tandem answered."""
    fingerprint: str
    certificate_pem: str
    """The pinned certificate: the only one the phone accepts from this Tandem."""
    paired_at: datetime

    @property
    def base_url(self) -> str:
        """The Anthropic SDK's base URL: `edge_url` without `/v1` (the SDK adds it)."""
        return self.edge_url.rstrip("/").removesuffix("/v1")

    def to_json(self) -> dict[str, str]:
        """The pairing as JSON, for the phone's storage."""
        return {
            "token": self.token,
            "device_id": self.device_id,
            "edge_url": self.edge_url,
            "fingerprint": self.fingerprint,
            "certificate_pem": self.certificate_pem,
            "paired_at": self.paired_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pairing:
        """The pairing `to_json` wrote; KeyError or ValueError when it is damaged."""
        return cls(
            token=str(data["token"]),
            device_id=str(data["device_id"]),
            edge_url=str(data["edge_url"]),
            fingerprint=normalize_fingerprint(str(data["fingerprint"])),
            certificate_pem=str(data["certificate_pem"]),
            paired_at=datetime.fromisoformat(str(data["paired_at"])),
        )


def parse_pairing_link(text: str) -> PairingLink:
    """Read a pairing link; `TandemError` saying what is wrong when it is not one."""
    parts = urlsplit(text.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise TandemError("that is not a pairing link (it must start with https://)", _RESCAN)
    if parts.path.rstrip("/") != "/pair":
        raise TandemError(
            "that link is not a pairing link (it must end in /pair?code=...)", _RESCAN
        )
    code = (parse_qs(parts.query).get("code") or [""])[0].strip()
    fingerprint = (parse_qs(parts.fragment).get("fp") or [""])[0]
    if not code:
        raise TandemError("the pairing link has no pairing code", _RESCAN)
    if not fingerprint:
        raise TandemError("the pairing link has no certificate fingerprint (#fp=)", _RESCAN)
    try:
        port = parts.port or 443
    except ValueError:
        raise TandemError("the pairing link's port is not a number", _RESCAN) from None
    return PairingLink(parts.hostname, port, code, normalize_fingerprint(fingerprint))


async def pair(link: PairingLink, name: str, *, timeout_s: float = PAIR_TIMEOUT_S) -> Pairing:
    """Pair with the Tandem at `link` as `name`; the pairing to keep, or `TandemError`."""
    pem = await asyncio.to_thread(pinned_certificate, link.host, link.port, link.fingerprint)
    transport = httpx.AsyncHTTPTransport(verify=pinned_context(pem), retries=0)
    timeout = httpx.Timeout(timeout_s)
    async with guarded_httpx_client(
        EgressPolicy(), "pairing", timeout=timeout, transport=transport
    ) as client:
        try:
            response = await client.post(
                f"{link.origin}/pair", json={"code": link.code, "name": name.strip() or "Phone"}
            )
        except httpx.HTTPError as exc:
            raise TandemError(
                f"pairing with {link.origin} failed ({type(exc).__name__})",
                "check that `tandem --web --lan` is still running, then try again",
            ) from None
    return _pairing(link, pem, response)


def _pairing(link: PairingLink, pem: str, response: httpx.Response) -> Pairing:
    """The pairing in your Tandem's answer, or a `TandemError` saying why there is none."""
    if response.status_code in (403, 429):
        wait = response.headers.get("retry-after")
        raise TandemError(
            f"your Tandem refused the pairing code ({_error_text(response)})",
            f"wait {wait} seconds, then try again"
            if wait
            else "show a new code on your Tandem and scan it again",
        )
    if response.status_code != 200:
        raise TandemError(
            f"pairing failed: your Tandem answered {response.status_code}",
            "update Tandem on your computer, then try again",
        )
    try:
        data = response.json()
        answer = {key: str(data[key]) for key in ("token", "device_id", "edge_url", "fingerprint")}
    except (ValueError, KeyError, TypeError):
        raise TandemError("your Tandem's pairing answer is not readable", _RESCAN) from None
    if normalize_fingerprint(answer["fingerprint"]) != link.fingerprint:
        raise TandemError("your Tandem answered with another certificate's fingerprint", _RESCAN)
    if urlsplit(answer["edge_url"]).scheme != "https":
        raise TandemError("your Tandem offered an edge address without https", _RESCAN)
    return Pairing(
        token=answer["token"],
        device_id=answer["device_id"],
        edge_url=answer["edge_url"],
        fingerprint=link.fingerprint,
        certificate_pem=pem,
        paired_at=datetime.now(UTC),
    )


def _error_text(response: httpx.Response) -> str:
    """The server's reason (Anthropic's error shape, as app/lan answers), else the status."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message).rstrip(".") if message else f"HTTP {response.status_code}"
