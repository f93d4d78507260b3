"""The egress guard: inspects the exact bytes of every outbound HTTP request.

The off-device endpoints get HTTP clients whose transports (httpx for the
OpenAI-compatible endpoint, httpx2 for the Anthropic SDK) pass each request
through an `EgressPolicy` before it leaves. The pipeline tells the policy which
values are local-only for the turn in flight (`protect`); a request whose URL,
headers or body contains one of them (raw, JSON-escaped, base64 or URL-encoded)
raises `EgressBlockedError` and is never sent. Blocks are logged with types,
counts and the endpoint, never the values.

This is a backstop: redaction and routing should already have removed the
values. It runs on the serialized request so a bug upstream cannot leak.

The policy also carries the record of outbound requests (`recorder`, the
ledger's `WireLog`, given by the composition root): every client the factory
makes writes each request it lets out there before handing it to the network
(a request whose row cannot be written is not sent), then its status, and each
blocked attempt without its body (`EgressPolicy.depart`, departures.py).
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, quote_plus

import httpx
import httpx2

from router.errors import EgressBlockedError
from router.privacy.departures import (
    Departure,
    OutboundRecorder,
    record_block,
    record_departure,
)
from router.privacy.redact import needs_word_boundary
from router.types import ProtectedValue

log = logging.getLogger(__name__)

_Pattern = TypeVar("_Pattern")
_Transport = TypeVar("_Transport", httpx.AsyncBaseTransport, httpx2.AsyncBaseTransport)

_MIN_BASE64_NEEDLE = 8  # shorter base64 runs match random data too often
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") | set(
    range(0x80, 0x100)
)
_HEX = frozenset(b"0123456789abcdefABCDEF")


@dataclass(frozen=True)
class _Needle:
    type: str
    encoding: str
    data: bytes
    whole_word: bool


def encodings_of(value: str) -> dict[str, list[bytes]]:
    """Every byte form of `value` the guard looks for, by encoding name."""
    raw = value.encode("utf-8")
    forms: dict[str, list[bytes]] = {"raw": [raw]}
    escaped = json.dumps(value, ensure_ascii=False)[1:-1].encode("utf-8")
    ascii_escaped = json.dumps(value)[1:-1]
    upper = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m[1].upper(), ascii_escaped)
    forms["json"] = [escaped, ascii_escaped.encode(), upper.encode()]
    forms["url"] = [quote(value, safe="").encode(), quote_plus(value, safe="").encode()]
    b64: list[bytes] = []
    for skip in range(3):
        # The value can start at any offset of a base64 group; trimming 0-2 bytes
        # makes one of these variants start on a group boundary, and only whole
        # groups are kept so the padding at the end does not matter.
        chunk = raw[skip:]
        whole = chunk[: len(chunk) // 3 * 3]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(whole)
            if len(encoded) >= _MIN_BASE64_NEEDLE:
                b64.append(encoded)
    forms["base64"] = b64
    return {name: list(dict.fromkeys(v for v in vs if v)) for name, vs in forms.items()}


def _needles(type_: str, value: str) -> list[_Needle]:
    boundary = needs_word_boundary(value)
    out: list[_Needle] = []
    for encoding, forms in encodings_of(value).items():
        for data in forms:
            out.append(_Needle(type_, encoding, data, boundary and encoding != "base64"))
    return out


def carries_any(payload: bytes, values: Iterable[str]) -> bool:
    """Whether `payload` holds one of `values` in any form the guard knows, matched as the
    redactor matches (short values only as whole words, so `Ann` does not hit `Annual`)."""
    return any(_hit(payload, n) for v in values if v for n in _needles("VALUE", v))


def _hit(payload: bytes, needle: _Needle) -> bool:
    if not needle.whole_word:
        return needle.data in payload
    start = payload.find(needle.data)
    while start != -1:
        end = start + len(needle.data)
        if _boundary_before(payload, start) and (
            end >= len(payload) or payload[end] not in _WORD_BYTES
        ):
            return True
        start = payload.find(needle.data, start + 1)
    return False


def _boundary_before(payload: bytes, start: int) -> bool:
    """True when the byte before `start` ends a word: a separator or an escape sequence."""
    if start == 0 or payload[start - 1] not in _WORD_BYTES:
        return True
    # `\n`, `\u00e9` or `%20` right before the value still separate it from a word.
    if start >= 2 and payload[start - 2] == ord("\\"):
        return True
    if start >= 6 and payload[start - 6 : start - 4] == b"\\u" and _hex(payload[start - 4 : start]):
        return True
    return start >= 3 and payload[start - 3] == ord("%") and _hex(payload[start - 2 : start])


def _hex(data: bytes) -> bool:
    return all(b in _HEX for b in data)


class EgressPolicy:
    """The values no outbound request may contain right now, shared by pipeline and guards.

    Protections from concurrent turns are combined: a request is blocked if it
    carries a value that any turn in flight protects, which can only over-block.
    """

    def __init__(self, recorder: OutboundRecorder | None = None) -> None:
        """Guard with no value protected yet; write requests to `recorder` when given."""
        self.recorder = recorder
        """Where the guarded transports record each request (None: no record kept)."""
        self._lock = threading.Lock()
        self._active: dict[int, list[_Needle]] = {}
        self._ids = itertools.count()
        self.blocked = 0
        """How many requests were blocked, for tests and diagnostics."""

    @contextmanager
    def protect(self, values: Iterable[ProtectedValue | str]) -> Iterator[None]:
        """Block every request that contains one of `values` until the block exits."""
        needles: list[_Needle] = []
        for item in values:
            if isinstance(item, str):
                needles += _needles("VALUE", item) if item else []
            else:
                for v in (item.value, *item.variants):
                    needles += _needles(item.type, v) if v else []
        key = next(self._ids)
        with self._lock:
            self._active[key] = needles
        try:
            yield
        finally:
            with self._lock:
                del self._active[key]

    def check(self, payload: bytes, *, endpoint: str) -> None:
        """Raise `EgressBlockedError` if `payload` contains a protected value."""
        with self._lock:
            needles = [n for group in self._active.values() for n in group]
        hits = [n for n in needles if _hit(payload, n)]
        if not hits:
            return
        self.blocked += 1
        types = sorted({n.type for n in hits})
        encodings = sorted({n.encoding for n in hits})
        # Types, counts and encodings only: the log must not become the leak.
        log.warning(
            "egress blocked a request to %s: %d match(es) of protected %s (%s)",
            endpoint,
            len(hits),
            ", ".join(types),
            ", ".join(encodings),
        )
        raise EgressBlockedError(
            f"blocked a request to {endpoint}: it contained data a privacy rule keeps local "
            f"({', '.join(types)})",
            "nothing was sent; the turn can be answered on this device instead",
        )

    def depart(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        *,
        endpoint: str,
    ) -> Departure:
        """Check a request, then record it before it leaves; return its `Departure`.

        A blocked request is recorded as `blocked`, without its body, and raises
        `EgressBlockedError`. If the record cannot be written, its error is raised
        and the request must not be sent.
        """
        try:
            self.check(request_bytes(method, url, headers, body), endpoint=endpoint)
        except EgressBlockedError:
            record_block(self.recorder, endpoint, method, url, len(body))
            raise
        return record_departure(self.recorder, endpoint, method, url, body)


def request_bytes(
    method: str, url: str, headers: Sequence[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The bytes of a request as the guard inspects them: request line, headers, body."""
    head = b"\r\n".join(k + b": " + v for k, v in headers)
    return method.encode() + b" " + url.encode() + b"\r\n" + head + b"\r\n\r\n" + body


class _Headers(Protocol):
    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The headers as sent."""
        ...


class _Request(Protocol):
    """The parts of an `httpx.Request` or `httpx2.Request` the guard reads."""

    method: str

    @property
    def url(self) -> object:
        """The request's URL (its `str` is what goes on the wire)."""
        ...

    @property
    def headers(self) -> _Headers:
        """The request's headers."""
        ...

    async def aread(self) -> bytes:
        """Read (and buffer) the body."""
        ...


class GuardedTransport(httpx.AsyncBaseTransport, httpx2.AsyncBaseTransport):
    """An httpx or httpx2 transport that checks each request with an `EgressPolicy` first.

    The two libraries' transports have the same interface, so one class serves
    both: it wraps `inner`, a transport of the client's own library (httpx for
    the OpenAI-compatible endpoint, httpx2 for the Anthropic SDK and MCP).
    """

    def __init__(
        self,
        policy: EgressPolicy,
        endpoint: str,
        inner: httpx.AsyncBaseTransport | httpx2.AsyncBaseTransport,
    ) -> None:
        self.policy = policy
        self.endpoint = endpoint
        self.inner = inner

    async def handle_async_request(self, request: _Request) -> Any:
        """Check and record the request's bytes, then send it with the wrapped transport."""
        body = await request.aread()  # buffers a streamed body; httpx replays it after
        departure = self.policy.depart(
            request.method, str(request.url), request.headers.raw, body, endpoint=self.endpoint
        )
        try:
            # `request` is of the library of `inner` (the client's own).
            response = await self.inner.handle_async_request(request)  # type: ignore[arg-type]
        except BaseException:
            departure.failed()
            raise
        departure.answered(response.status_code)
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.inner.aclose()


def guarded_httpx_client(
    policy: EgressPolicy,
    endpoint: str,
    *,
    timeout: httpx.Timeout | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose every transport (proxies too) is guarded."""
    client = httpx.AsyncClient(
        timeout=timeout or httpx.Timeout(30.0),
        transport=GuardedTransport(policy, endpoint, transport or httpx.AsyncHTTPTransport()),
    )
    # Proxy transports from the environment are mounted beside the main one; wrap them too.
    client._mounts = _guarded_mounts(client._mounts, policy, endpoint)
    return client


def guarded_httpx2_client(
    policy: EgressPolicy,
    endpoint: str,
    *,
    timeout: httpx2.Timeout | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> httpx2.AsyncClient:
    """An `httpx2.AsyncClient` whose every transport (proxies too) is guarded."""
    client = httpx2.AsyncClient(
        timeout=timeout or httpx2.Timeout(30.0),
        transport=GuardedTransport(policy, endpoint, transport or httpx2.AsyncHTTPTransport()),
    )
    client._mounts = _guarded_mounts(client._mounts, policy, endpoint)
    return client


def _guarded_mounts(
    mounts: dict[_Pattern, _Transport | None], policy: EgressPolicy, endpoint: str
) -> dict[_Pattern, _Transport | None]:
    """A client's mounted (proxy) transports, each wrapped in a `GuardedTransport`."""
    return {
        k: GuardedTransport(policy, endpoint, v) if v is not None else None
        for k, v in mounts.items()
    }
