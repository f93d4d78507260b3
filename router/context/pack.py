"""Stage 3, `context.pack`: the messages an endpoint receives, under its token budget.

Keeps the system prompt and the new message, then adds whole earlier turns,
newest first, while they fit; what did not fit is counted, not silently lost.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.endpoints.base import Endpoint
from router.errors import EmptyPromptError, PromptTooLongError
from router.types import Message, PackedContext, TurnRequest


def pack(
    request: TurnRequest,
    history: Sequence[Message],
    endpoint: Endpoint,
    *,
    system_prompt: str,
    reserve_output_tokens: int,
) -> PackedContext:
    """Return the system prompt, the recent history that fits, and the new message.

    `reserve_output_tokens` is kept free for the answer (at most half the window).
    Raises `PromptTooLongError` if the new message alone does not fit.
    """
    if not request.text.strip():
        raise EmptyPromptError("the message is empty", "type a question first")
    head = [Message(role="system", content=system_prompt)] if system_prompt else []
    current = Message(role="user", content=request.text, attachments=request.attachments)
    budget = endpoint.context_window - min(reserve_output_tokens, endpoint.context_window // 2)
    needed = endpoint.count_tokens([*head, current])
    if needed > budget:
        raise PromptTooLongError(
            f"the message is about {needed} tokens but {endpoint.name} accepts at most "
            f"{budget} for the prompt (context window {endpoint.context_window})",
            "shorten it, split it over several turns, or raise [local] n_ctx in the config",
        )
    pairs = [tuple(history[i : i + 2]) for i in range(0, len(history) - 1, 2)]
    kept: list[Message] = []
    used = needed
    for pair in reversed(pairs):
        candidate = [*head, *pair, *kept, current]
        cost = endpoint.count_tokens(candidate)
        if cost > budget:
            break
        kept[:0] = pair
        used = cost
    messages = (*head, *kept, current)
    return PackedContext(
        messages=messages, input_tokens=used, dropped_turns=len(pairs) - len(kept) // 2
    )
