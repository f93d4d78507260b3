"""What a placeholder may say about the value it hides: `[PERSON_1, a colleague]`.

A masked name loses what the cloud needs to reason ("write a thank-you note to
[PERSON_1]": a friend? a boss?). Where the text itself says it, the placeholder
keeps the relation or the kind, never the identity:

- a person (or a capitalised name) is described by a relation word right beside
  it: "my colleague Tom", "Priya, my doctor", "Sam (our landlord)";
- a place or an organisation the shipped public-entity list knows is described by
  its kind: "a country", "a place", "an organisation". That list
  (assets/public_entities.txt) records no country per city, so a city is "a place",
  not "a city in Norway".

Every description is one of `VOCABULARY`: fixed words, so no text of the user's
can reach the cloud through it. A description that would contain a protected
value of the turn is dropped (`without_protected`). The distances are priors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router.types import Finding, ProtectedValue

_ROLES = """
    neighbour colleague boss manager supervisor employer employee assistant secretary intern
    teammate partner client customer patient tenant landlord landlady roommate flatmate housemate
    son daughter child wife husband spouse fiance fiancee girlfriend boyfriend friend brother
    sister sibling mother father parent uncle aunt cousin nephew niece grandmother grandfather
    grandson granddaughter stepson stepdaughter stepmother stepfather teacher tutor student pupil
    classmate mentor mentee coach doctor dentist therapist nurse lawyer accountant babysitter
    nanny carer caregiver contractor builder plumber electrician cleaner
""".split()  # noqa: SIM905 - a word list reads better as text
_SPELLINGS = {
    "neighbor": "neighbour",
    "coworker": "colleague",
    "co-worker": "colleague",
    "team-mate": "teammate",
    "kid": "child",
    "fiancé": "fiance",
    "fiancée": "fiancee",
    "mum": "mother",
    "mom": "mother",
    "mummy": "mother",
    "mommy": "mother",
    "dad": "father",
    "daddy": "father",
    "grandma": "grandmother",
    "granny": "grandmother",
    "grandpa": "grandfather",
    "auntie": "aunt",
    "bestie": "friend",
}
_ROLE_OF = {**{r: r for r in _ROLES}, **_SPELLINGS}
_KINDS = {
    "country": "a country",
    "place": "a place",
    "language": "a language",
    "org": "an organisation",
    "landmark": "a landmark",
    "event": "an event",
    "work": "a work",
    "product": "a product",
}
VOCABULARY = frozenset(
    {f"{'an' if r[0] in 'aeiou' else 'a'} {r}" for r in _ROLES} | set(_KINDS.values())
)
"""Every description a placeholder can carry."""

_PERSON_TYPES = frozenset({"PERSON", "NAME_LIKE"})
_KIND_TYPES = frozenset({"LOCATION", "ORGANIZATION"})
_SKIPPED = frozenset({"the", "a", "an", "my", "our", "his", "her", "their", "mr", "mrs", "ms"})
_SKIPPED |= {"miss", "dr", "prof", "professor", "new", "old", "dear", "best", "former"}
_WORDS_BEFORE = 3  # a prior: how far back (skipping articles and titles) a relation word counts
# After the name: "Priya, my doctor", "Sam (our landlord)", "Tom, a colleague of mine".
_AFTER = re.compile(
    r"[ \t]*[,(][ \t]*(?:(?:a|an|the|my|our|his|her|their)[ \t]+)?(?:\w+[ \t]+)?(?P<role>[\w-]+)",
    re.I,
)


def _with_article(role: str) -> str:
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"


def _role(word: str) -> str | None:
    bare = re.sub(r"['\u2019]s$", "", word.lower().strip(",.:;()"))
    return _ROLE_OF.get(bare)


def describe(text: str, finding: Finding) -> str:
    """The description of `finding`'s value in `text`, from `VOCABULARY`; "" when none applies."""
    if finding.type in _PERSON_TYPES:
        return _relation(text, finding)
    if finding.type in _KIND_TYPES:
        return _kind(text[finding.start : finding.end])
    return ""


def _relation(text: str, finding: Finding) -> str:
    """A relation word just before the name (articles, titles skipped) or just after it.

    Only on the name's own line: in a list ("C. With a friend\nD. ...") the word
    above belongs to another item.
    """
    before = text[text.rfind("\n", 0, finding.start) + 1 : finding.start].split()
    for skipped, word in enumerate(reversed(before)):
        role = _role(word)
        if role:
            return _with_article(role)
        if word.lower().strip(",.") not in _SKIPPED or skipped >= _WORDS_BEFORE:
            break
    after = _AFTER.match(text, finding.end)
    if after:
        role = _role(after["role"])
        if role:
            return _with_article(role)
    return ""


def _kind(value: str) -> str:
    """The kind of a listed public name: a country first, then a place, then a sole kind."""
    from router.privacy.public import normalize_name, public_names

    kinds = public_names().get(normalize_name(value), frozenset()) - {"person"}
    for kind in ("country", "place"):
        if kind in kinds:
            return _KINDS[kind]
    return _KINDS.get(next(iter(kinds)), "") if len(kinds) == 1 else ""


def without_protected(values: Sequence[ProtectedValue]) -> list[ProtectedValue]:
    """`values`, with descriptions that contain one of them (as a word) dropped."""
    from router.privacy.redact import value_pattern

    patterns = [
        re.compile(value_pattern(v), re.IGNORECASE)
        for p in values
        for v in (p.value, *p.variants)
        if v.strip()
    ]
    return [
        p.model_copy(update={"description": ""})
        if p.description and any(x.search(p.description) for x in patterns)
        else p
        for p in values
    ]
