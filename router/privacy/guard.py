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

Each transport knows its trust zone (zones.py): one to an edge marked as the
user's own (`mine`) lets through the values only a keep_mine rule protects;
every other transport blocks them like the rest.

The policy also carries the record of outbound requests (`recorder`, the
ledger's `WireLog`, given by the composition root): every client the factory
makes writes each request it lets out there before handing it to the network
(a request whose row cannot be written is not sent), then its status, and each
blocked attempt without its body (`EgressPolicy.depart`, departures.py).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import httpx
import httpx2

from router.errors import EgressBlockedError
from router.privacy.departures import (
    Departure,
    OutboundRecorder,
    record_block,
    record_departure,
)
from router.privacy.needles import Needle, carries_any, encodings_of, holds, needles_of
from router.privacy.zones import value_may_reach
from router.types import ProtectedValue, Zone

log = logging.getLogger(__name__)
__all__ = ["EgressPolicy", "GuardedTransport", "carries_any", "encodings_of"]

_Pattern = TypeVar("_Pattern")
_Transport = TypeVar("_Transport", httpx.AsyncBaseTransport, httpx2.AsyncBaseTransport)


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
        self._active: dict[int, list[Needle]] = {}
        self._ids = itertools.count()
        self.blocked = 0
        """How many requests were blocked, for tests and diagnostics."""

    @contextmanager
    def protect(self, values: Iterable[ProtectedValue | str]) -> Iterator[None]:
        """Block every request that contains one of `values` until the block exits.

        A keep_mine value is let through to the user's own devices only; a bare
        string, with no action to say so, is blocked on every transport.
        """
        needles: list[Needle] = []
        for item in values:
            if isinstance(item, str):
                needles += needles_of("VALUE", item) if item else []
            else:
                mine_ok = value_may_reach(item.action, "mine")
                for v in (item.value, *item.variants):
                    needles += needles_of(item.type, v, mine_ok) if v else []
        key = next(self._ids)
        with self._lock:
            self._active[key] = needles
        try:
            yield
        finally:
            with self._lock:
                del self._active[key]

    def check(self, payload: bytes, *, endpoint: str, zone: Zone = "cloud") -> None:
        """Raise `EgressBlockedError` if `payload`, bound for `zone`, contains a protected
        value that may not reach it."""
        with self._lock:
            needles = [n for group in self._active.values() for n in group]
        if zone == "mine":
            needles = [n for n in needles if not n.mine_ok]
        hits = [n for n in needles if holds(payload, n)]
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
            f"blocked a request to {endpoint}: it contained data a privacy rule keeps off it "
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
        zone: Zone = "cloud",
    ) -> Departure:
        """Check a request to `zone`, then record it before it leaves; return its `Departure`.

        A blocked request is recorded as `blocked`, without its body, and raises
        `EgressBlockedError`. If the record cannot be written, its error is raised
        and the request must not be sent.
        """
        try:
            self.check(request_bytes(method, url, headers, body), endpoint=endpoint, zone=zone)
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
    `zone` is where its requests go: `mine` only for an edge marked as the user's.
    """

    def __init__(
        self,
        policy: EgressPolicy,
        endpoint: str,
        inner: httpx.AsyncBaseTransport | httpx2.AsyncBaseTransport,
        zone: Zone = "cloud",
    ) -> None:
        self.policy = policy
        self.endpoint = endpoint
        self.inner = inner
        self.zone = zone

    async def handle_async_request(self, request: _Request) -> Any:
        """Check and record the request's bytes, then send it with the wrapped transport."""
        body = await request.aread()  # buffers a streamed body; httpx replays it after
        departure = self.policy.depart(
            request.method,
            str(request.url),
            request.headers.raw,
            body,
            endpoint=self.endpoint,
            zone=self.zone,
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
    zone: Zone = "cloud",
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` to `zone` whose every transport (proxies too) is guarded."""
    inner = transport or httpx.AsyncHTTPTransport()
    client = httpx.AsyncClient(
        timeout=timeout or httpx.Timeout(30.0),
        transport=GuardedTransport(policy, endpoint, inner, zone),
    )
    # Proxy transports from the environment are mounted beside the main one; wrap them too.
    client._mounts = _guarded_mounts(client._mounts, policy, endpoint, zone)
    return client


def guarded_httpx2_client(
    policy: EgressPolicy,
    endpoint: str,
    *,
    timeout: httpx2.Timeout | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    zone: Zone = "cloud",
) -> httpx2.AsyncClient:
    """An `httpx2.AsyncClient` to `zone` whose every transport (proxies too) is guarded."""
    inner = transport or httpx2.AsyncHTTPTransport()
    client = httpx2.AsyncClient(
        timeout=timeout or httpx2.Timeout(30.0),
        transport=GuardedTransport(policy, endpoint, inner, zone),
    )
    client._mounts = _guarded_mounts(client._mounts, policy, endpoint, zone)
    return client


def _guarded_mounts(
    mounts: dict[_Pattern, _Transport | None], policy: EgressPolicy, endpoint: str, zone: Zone
) -> dict[_Pattern, _Transport | None]:
    """A client's mounted (proxy) transports, each wrapped in a `GuardedTransport`."""
    return {
        k: GuardedTransport(policy, endpoint, v, zone) if v is not None else None
        for k, v in mounts.items()
    }
