"""The endpoint test both front ends run (`tandem endpoints test`, the Models section's Test).

One tiny request; its answer and usage are what the user sees.
"""

from __future__ import annotations

from router import Endpoint, GenerationOptions, Message, TokenDelta
from router.endpoints.base import StreamEnd

_PING = [Message(role="user", content="Reply with the single word OK.")]


async def ping(endpoint: Endpoint) -> tuple[str, StreamEnd | None]:
    """Send the one-word test request; return the answer and how the stream ended."""
    text, end = "", None
    async for event in endpoint.stream(_PING, GenerationOptions(max_tokens=8, temperature=0)):
        if isinstance(event, TokenDelta):
            text += event.text
        elif isinstance(event, StreamEnd):
            end = event
    return text, end
