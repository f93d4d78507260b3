"""The wire of a fake off-device endpoint: requests go through the real egress guard.

Privacy tests post each request their fake cloud receives through
`guarded_httpx_client` to a mock transport, so the bytes that would leave the
device are recorded exactly and the guard's own checks run on them.
"""

from __future__ import annotations

from typing import Any

import httpx

from router.privacy.guard import EgressPolicy, guarded_httpx_client

URL = "https://api.example/v1/messages"


class Wire:
    """Posts request bodies through the egress guard; `sent` holds the bytes that left."""

    def __init__(self, policy: EgressPolicy, endpoint: str = "cloud") -> None:
        self.sent: list[bytes] = []
        self.client = guarded_httpx_client(
            policy, endpoint, transport=httpx.MockTransport(self._receive)
        )

    def _receive(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.content)
        return httpx.Response(200)

    async def post(self, body: dict[str, Any]) -> None:
        """Send `body` as JSON, as an SDK would (the guard may raise)."""
        await self.client.post(URL, json=body)
