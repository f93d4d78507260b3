"""How much context each endpoint would be sent: the packer's answer, for the switching cost.

Routing prices a switch of endpoint by the context the new endpoint must be
sent again. That is what the handoff packer would put in its prompt besides
the new turn (summary, retrieved and recent turns, within the endpoint's
budget), not the raw history: a 20,000-token conversation reaches a cloud
endpoint capped at 4,000 prompt tokens as at most 4,000.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from router.endpoints.base import Endpoint
from router.errors import TandemError
from router.types import Message, PackedContext, TurnRequest

PackFor = Callable[[Endpoint], PackedContext]
"""Packs the turn for one endpoint, exactly as the pipeline would."""


def handoff_sizes(
    request: TurnRequest,
    endpoints: Mapping[str, Endpoint],
    pack_for: PackFor,
    system_prompt: str,
) -> dict[str, int]:
    """Per reachable endpoint, the context tokens its packed prompt carries besides the turn.

    Only counts: nothing is sent. An endpoint the turn does not fit is left out
    (its estimate falls back to the raw history, and packing it later fails clearly).
    """
    head = [Message(role="system", content=system_prompt)] if system_prompt else []
    current = Message(role="user", content=request.text, attachments=request.attachments)
    sizes: dict[str, int] = {}
    for name, endpoint in endpoints.items():
        if not endpoint.available():
            continue
        try:
            packed = pack_for(endpoint)
        except TandemError:
            continue
        sizes[name] = max(0, packed.input_tokens - endpoint.count_tokens([*head, current]))
    return sizes
