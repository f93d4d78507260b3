"""Which tools a turn is offered: the ones its question is about.

Every tool definition costs prompt tokens on every round, and a 0.5B model
offered nine sensor tools for "write me a haiku" is tempted to call one. So,
with `[mcp] offer = "relevant"`, a server's tools are offered only when the
question shares a content word with one of them, by name or description
("battery" → the sensors server); a question about nothing a tool does gets
no tools and no prompt overhead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router.types import ToolSpec

_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_STOP = frozenset(
    """
    the and for with from into what which when where who how why this that these those
    there their your you our are was were been being have has had does did doing can
    could would should will shall may might must not but all any some each every get
    got give tell show please want need let make use using used about just also very
    more most much many than then them they its it's mine here now one two per via
    return returns given current currently list lists tool tools value values
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """Lower-case, de-pluralised words of three letters or more, minus function words."""
    spaced = re.sub(r"[_\W]+", " ", text.lower())
    return {_stem(w) for w in _WORD.findall(spaced) if w not in _STOP}


def relevant_tools(
    tools: Sequence[ToolSpec], question: str, limit: int = 8
) -> tuple[ToolSpec, ...]:
    """The tools sharing most content words with `question`, at most `limit`, best first."""
    asked = content_words(question)
    if not asked:
        return ()
    scored = []
    for index, spec in enumerate(tools):
        overlap = len(asked & content_words(f"{spec.name} {spec.description}"))
        if overlap:
            scored.append((-overlap, index, spec))
    return tuple(spec for _, _, spec in sorted(scored)[:limit])


def relevant_servers_tools(
    tools: Sequence[ToolSpec], question: str, limit: int = 16
) -> tuple[ToolSpec, ...]:
    """Every tool of each server that has a tool the question is about, at most `limit`.

    A whole server rather than the single best tool: the bundled 0.5B model calls
    `sensors__battery` when it sees the sensors server's nine tools, but offered
    that one tool alone it describes the tool instead of calling it.
    """
    servers = {t.name.split("__", 1)[0] for t in relevant_tools(tools, question, limit=limit)}
    return tuple(t for t in tools if t.name.split("__", 1)[0] in servers)[:limit]
