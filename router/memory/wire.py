"""What the memory server may see: the seams to the privacy layer, and its guarded HTTP.

The memory sits below `router.privacy` (whose name detector reads the
embedder's vocabulary), so it takes the privacy layer through two small
protocols that the runtime fills in (router/runtime/memory.py): a `Redactor`
for the session's placeholders, a `QueryScreen` that asks the rules what of a
search query may leave, and a `RequestGuard` over the egress policy, which also
writes each request to the record of outbound requests.

Chroma's `HttpClient` builds its own synchronous `httpx.Client` and takes no
client or transport, so `guard_chroma_client` swaps that session for one whose
transports (proxies too) check each request first. If a chromadb release moves
the session, opening the server fails rather than sending unguarded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

import httpx

from router.memory.errors import MemoryServerError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


class Redactor(Protocol):
    """A session's redacted values and their placeholders (the ledger's pseudonym store)."""

    def redact(self, session_id: str, text: str) -> str:
        """`text` with every value the session redacted replaced by its placeholder."""
        ...

    def values(self, session_id: str) -> Collection[str]:
        """Every value the session redacted (spelling variants too)."""
        ...


class QueryScreen(Protocol):
    """The privacy rules on a search query: what of it may reach the memory server."""

    def shareable(self, query: str) -> str | None:
        """`query` as it may leave (redact-level values as placeholders); None keeps it here."""
        ...


class Departure(Protocol):
    """A request the guard let out and recorded; told how it ended."""

    def answered(self, status: int) -> None:
        """The server answered with `status`."""
        ...

    def failed(self) -> None:
        """The network gave no response."""
        ...


class RequestGuard(Protocol):
    """The egress guard, as the memory server's HTTP client uses it."""

    def depart(self, request: httpx.Request, endpoint: str) -> Departure:
        """Check `request` and record it before it leaves.

        Raises `EgressBlockedError` if it carries a protected value (recorded as
        blocked), or the record's own error if it could not be written.
        """
        ...

    def protect(self, values: Iterable[str]) -> AbstractContextManager[None]:
        """Block every request that carries one of `values` until the block exits."""
        ...


class GuardedSyncTransport(httpx.BaseTransport):
    """A synchronous httpx transport that checks each request with a `RequestGuard` first."""

    def __init__(self, guard: RequestGuard, endpoint: str, inner: httpx.BaseTransport) -> None:
        """Check requests with `guard` (naming `endpoint` in blocks), then send with `inner`."""
        self.guard = guard
        self.endpoint = endpoint
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Raise `EgressBlockedError` if the request carries a protected value, else send it.

        What is sent is recorded first, with the response's status after.
        """
        request.read()  # buffers the body so the guard sees every byte
        departure = self.guard.depart(request, self.endpoint)
        try:
            response = self.inner.handle_request(request)
        except BaseException:
            departure.failed()
            raise
        departure.answered(response.status_code)
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def guard_chroma_client(
    client: ClientAPI,
    guard: RequestGuard,
    endpoint: str,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """Route every request of a Chroma `HttpClient` through `guard`.

    `transport` replaces the network transport underneath (tests record with it).
    """
    server = getattr(client, "_server", None)
    session = getattr(server, "_session", None)
    if not isinstance(session, httpx.Client):
        raise MemoryServerError(
            "this chromadb version's HTTP client cannot be put behind Tandem's egress guard",
            "install the chromadb version in Tandem's requirements, or remove "
            "memory.server_url from the config to keep memory on this device",
        )
    guarded = httpx.Client(
        timeout=None,
        headers=session.headers,
        transport=GuardedSyncTransport(guard, endpoint, transport or httpx.HTTPTransport()),
    )
    # Proxy transports from the environment are mounted beside the main one; guard them too.
    guarded._mounts = {
        pattern: GuardedSyncTransport(guard, endpoint, mounted) if mounted else None
        for pattern, mounted in guarded._mounts.items()
    }
    session.close()
    server._session = guarded  # type: ignore[union-attr]
