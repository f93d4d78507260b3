"""The one rough token estimate: about four characters a token.

Used wherever no tokenizer is at hand: `Endpoint.count_tokens` by default, the
remote endpoints' fallbacks, the routing features and the team's traffic
accounting. English averages about four characters a token; the estimate
rounds down, and callers add their own per-message framing.
"""

from __future__ import annotations

CHARS_PER_TOKEN = 4


def tokens_in_chars(chars: int) -> int:
    """Rough tokens in `chars` characters (or bytes) of text, rounded down."""
    return chars // CHARS_PER_TOKEN


def estimate_tokens(text: str) -> int:
    """Rough tokens in `text`, rounded down (a few characters make zero)."""
    return tokens_in_chars(len(text))
