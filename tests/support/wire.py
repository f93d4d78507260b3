"""The wire of a fake off-device endpoint: requests go through the real egress guard.

Privacy tests post each request their fake cloud receives through
`guarded_httpx_client` to a mock transport, so the bytes that would leave the
device are recorded exactly and the guard's own checks run on them.
"""

from __future__ import annotations

from typing import Any

import httpx

from router.endpoints.fake import echo_responder, words
from router.endpoints.function import EndpointCall, StreamHandler
from router.endpoints.remote_common import ImagePart, load_attachment
from router.privacy.guard import EgressPolicy, guarded_httpx_client
from router.types import Zone

URL = "https://api.example/v1/messages"


class Wire:
    """Posts request bodies through the egress guard; `sent` holds the bytes that left."""

    def __init__(self, policy: EgressPolicy, endpoint: str = "cloud", zone: Zone = "cloud") -> None:
        self.sent: list[bytes] = []
        self.client = guarded_httpx_client(
            policy, endpoint, transport=httpx.MockTransport(self._receive), zone=zone
        )

    def _receive(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.content)
        return httpx.Response(200)

    async def post(self, body: dict[str, Any]) -> None:
        """Send `body` as JSON, as an SDK would (the guard may raise)."""
        await self.client.post(URL, json=body)


def through_the_wire(wire: Wire) -> StreamHandler:
    """An off-device handler that serializes each request through `wire`, then echoes.

    Every message goes as an SDK would send it: its text, its tool results, and its
    attachments as the endpoint reads them (text, or an image's base64).
    """

    async def handle(call: EndpointCall) -> list[str]:
        body = []
        for m in call.messages:
            files = [load_attachment(a) for a in m.attachments]
            body.append(
                {
                    "role": m.role,
                    "content": m.content,
                    "tool_results": [r.content for r in m.tool_results],
                    "files": [f.data_b64 if isinstance(f, ImagePart) else f.text for f in files],
                }
            )
        await wire.post({"messages": body})
        return words(echo_responder(call.messages))

    return handle
