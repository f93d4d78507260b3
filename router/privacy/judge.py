"""The device's own model as a judge where the cheap signals disagree (`[privacy] judge`).

A name on the public-entity list with no hard cue but a soft one (a task, a
statement, a long text: `public.Undecided`) is in doubt. With `judge = "device"`
the model on this device is asked, once per turn for all such names, whether each
is public knowledge used as such or part of the writer's own life or matter. It
reads the original text: it runs here, and what it reads never leaves.

Only an explicit "public" makes a name public. Any other answer, an error, a
crash, a timeout, an unparseable reply or no device model leaves it private, as
it is with the judge off. Hard-cue names and structured identifiers never reach
the judge, so no verdict can lower their protection. Verdicts are remembered per
name and context, so a rescan of the same turn (the tool loop, the history of
later turns) reaches the same decision without asking again.

This module is the judge's seam and its words: the protocol the scanner asks,
the prompt and the parsing of the answer. `router/turn/name_judge.py`'s
`DeviceJudge` puts them to the device model. The prompt, the answer format and
the number of names per prompt are priors, set by hand;
`benchmarks/public_entities.py --judge` measures them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from router.privacy.public import Undecided
from router.types import GenerationOptions, Message

MAX_NAMES = 12
"""Prior: most names in one prompt; the rest of a turn's names stay private."""
TOKENS_PER_NAME = 8
"""Prior: answer tokens allowed per name ("12. private" and a line break fit)."""

SYSTEM_PROMPT = (
    "You check names found in a user's message before the message goes to a cloud "
    "assistant. For each numbered name, answer public if the message uses it as public "
    "knowledge: a well-known country, city, famous person, company, work, product or "
    "event, written or asked about as such. Answer private if it belongs to the "
    "writer's own life or matter: someone they know, where they live or work, their "
    "own company, event, project or client. If unsure, answer private. Reply with one "
    "line per name, such as `1. public` or `1. private`, and nothing else."
)
"""Prior: the judge's instructions (hand-written; measured once, not tuned)."""


class NameJudge(Protocol):
    """Decides names the cheap signals left undecided; the scanner asks it (scan.py)."""

    def said_public(self, name: Undecided) -> bool:
        """True when an earlier verdict called `name`, in its context, public knowledge."""
        ...

    async def decide(self, names: Sequence[Undecided]) -> None:
        """Judge the `names` not judged yet (one prompt); failures leave them private."""
        ...


def judge_options(count: int) -> GenerationOptions:
    """Greedy and short: room for `count` verdict lines."""
    return GenerationOptions(max_tokens=TOKENS_PER_NAME * count + 8, temperature=0.0, seed=0)


def judge_messages(names: Sequence[Undecided]) -> list[Message]:
    """The judge's prompt: each context once, then its names, numbered across the prompt."""
    contexts = list(dict.fromkeys(n.context for n in names))
    lines: list[str] = []
    for c, context in enumerate(contexts, start=1):
        label = "Message" if len(contexts) == 1 else f"Message {c}"
        lines += [f'{label}:\n"""\n{context}\n"""', f"Names in {label.lower()}:"]
        lines += [f"{i}. {n.name}" for i, n in enumerate(names, start=1) if n.context == context]
    return [
        Message(role="system", content=SYSTEM_PROMPT),
        Message(role="user", content="\n".join(lines)),
    ]


_NUMBERED = re.compile(r"^\W*(\d+)\s*[.):\-]\s*(.*)$")
_WORDS = re.compile(r"[a-z]+")
_DENIALS = frozenset({"private", "not", "non", "isn", "no"})


def parse_verdicts(reply: str, names: Sequence[str]) -> set[int]:
    """The indexes (0-based) of the `names` (numbered from 1) the reply explicitly calls public.

    A prior, strict on purpose: a name is public only when every line numbered
    for it says "public", the name's own words aside, with no "private", "not",
    "non" or "no" beside it. With one name, a bare "public" counts too. Anything
    else, garbage included, is private.
    """
    votes: dict[int, set[bool]] = {}
    for line in reply.splitlines():
        match = _NUMBERED.match(line.strip().lower())
        if match is None or not 1 <= int(match[1]) <= len(names):
            continue
        index = int(match[1]) - 1
        words = set(_WORDS.findall(match[2])) - set(_WORDS.findall(names[index].lower()))
        votes.setdefault(index, set()).add("public" in words and not words & _DENIALS)
    if len(names) == 1 and not votes and reply.strip().strip(".`*").strip().lower() == "public":
        return {0}
    return {i for i, said in votes.items() if said == {True}}
