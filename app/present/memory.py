"""Memory search hits as one line, for `tandem memory search` and the app's conversation list."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Chroma and the embedder load only when memory is searched, not for every import.
    from router.memory.store import MemoryHit


SNIPPET_CHARS = 100


def _one_line(text: str) -> str:
    return " ".join(text.split())


def snippet(hit: MemoryHit, width: int = SNIPPET_CHARS) -> str:
    """The hit as one line: question, then answer, cut to `width` characters."""
    line = _one_line(hit.user_text)
    if hit.answer.strip():
        line += " → " + _one_line(hit.answer)
    return line if len(line) <= width else line[: width - 1] + "…"
