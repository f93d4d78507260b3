"""A general question about a sensitive topic is not a fact about the user.

"What causes diabetes?" or "Which Hindu deity is elephant-headed?" names a
sensitive topic (health, religion) but says nothing about anyone: keeping it on
the device costs the user the cloud's better answer and protects nobody. "My
diabetes is back", "Tom's chemotherapy" or "my daughter is pregnant" is the
user's own life. A TOPIC finding becomes `general:<topic>` (a category the rule
`general-topic` allows) only when the whole text has no cue of a person's own
matter: no first-person word (I, me, my, we, us, our...), no relation word
(neighbour, colleague, son, patient...), no identifier (address, phone,
e-mail...) and no person who is not public knowledge. An exam item (lettered
options, router/privacy/exam.py) is about the world: only an identifier in it
counts ("Darla and Janice are two moms raising a son Timmy" is a test question,
not the user's family). A pronoun named in a word list ("who uses I/me/my") is
no one's. When in doubt, private wins: any such cue anywhere keeps every topic
finding as it was. A user rule for the topic itself (`categories = ["health"]`)
still matches `general:health` and comes first, so a user who wants every health
question local keeps it so. The word lists are priors (shared with
router/privacy/public.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router.privacy.cues import RELATION_WORDS
from router.privacy.exam import multiple_choice, pronoun_mentioned
from router.privacy.public import IDENTIFIER_TYPES, PUBLIC
from router.types import Finding

GENERAL = "general"
"""Prefix of a topic finding's category in a text about nobody: `general:health`."""
TOPIC = "TOPIC"

_PERSONAL = re.compile(
    r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|myself|we|we're|we've|we'd|us|our|ours|ourselves)\b"
    r"|\b(?:Me|My|Mine|Myself|We|We're|We've|We'd|Our|Ours)\b"
)
_WORDS = re.compile(r"[a-z][a-z'-]*")


def general_category(category: str) -> str:
    """`health` -> `general:health`."""
    return f"{GENERAL}:{category}"


def topic_of(category: str) -> str:
    """The topic a category names: `general:health` -> `health`; others unchanged."""
    prefix = GENERAL + ":"
    return category[len(prefix) :] if category.startswith(prefix) else category


def mark_general_topics(text: str, findings: Sequence[Finding]) -> list[Finding]:
    """`findings`, with topic findings of a text about nobody in category `general:<topic>`."""
    if not any(f.type == TOPIC for f in findings) or _about_someone(text, findings):
        return list(findings)
    return [
        f.model_copy(update={"category": general_category(f.category)}) if f.type == TOPIC else f
        for f in findings
    ]


def _about_someone(text: str, findings: Sequence[Finding]) -> bool:
    """A cue anywhere in `text` that it concerns a person's own matter."""
    if any(f.type in IDENTIFIER_TYPES for f in findings):
        return True
    if multiple_choice(text):
        return False  # a test question's scenario is nobody's own matter
    if any(f.type == "PERSON" and f.category != PUBLIC for f in findings):
        return True
    if _first_person(text):
        return True
    return any(word.strip("'") in RELATION_WORDS for word in _WORDS.findall(text.lower()))


def _first_person(text: str) -> bool:
    """A first-person word; "I" right after a capitalised word is a numeral ("World War I")."""
    for match in _PERSONAL.finditer(text):
        if pronoun_mentioned(text, *match.span()):
            continue
        if match.group() != "I":
            return True
        previous = text[: match.start()].split()[-1:]
        if not (previous and previous[0][:1].isupper()):
            return True
    return False
