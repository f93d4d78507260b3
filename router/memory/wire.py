"""The memory server's HTTP traffic, passed through the egress guard like every endpoint's.

Chroma's `HttpClient` builds its own synchronous `httpx.Client` and takes no
client or transport, so `guard_chroma_client` swaps that session for one whose
transports (proxies too) check each request with the `EgressPolicy` first. If
a chromadb release moves the session, opening the server fails rather than
sending unguarded.
"""

from __future__ import annotations

import httpx
from chromadb.api import ClientAPI

from router.memory.errors import MemoryServerError
from router.privacy.guard import EgressPolicy, request_bytes


class GuardedSyncTransport(httpx.BaseTransport):
    """A synchronous httpx transport that checks each request with an `EgressPolicy` first."""

    def __init__(self, policy: EgressPolicy, endpoint: str, inner: httpx.BaseTransport) -> None:
        """Check requests against `policy` (named `endpoint` in blocks), then send with `inner`."""
        self.policy = policy
        self.endpoint = endpoint
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Raise `EgressBlockedError` if the request carries a protected value, else send it."""
        body = request.read()
        self.policy.check(
            request_bytes(request.method, str(request.url), request.headers.raw, body),
            endpoint=self.endpoint,
        )
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def guard_chroma_client(
    client: ClientAPI,
    policy: EgressPolicy,
    endpoint: str,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """Route every request of a Chroma `HttpClient` through `policy`.

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
    inner = transport or httpx.HTTPTransport()
    guarded = httpx.Client(
        timeout=None,
        headers=session.headers,
        transport=GuardedSyncTransport(policy, endpoint, inner),
    )
    # Proxy transports from the environment are mounted beside the main one; guard them too.
    guarded._mounts = {
        pattern: GuardedSyncTransport(policy, endpoint, mounted) if mounted else None
        for pattern, mounted in guarded._mounts.items()
    }
    session.close()
    server._session = guarded  # type: ignore[union-attr]
