"""What a placeholder may say about the value it hides: `[PERSON_1, a colleague]`.

A masked name loses what the cloud needs to reason ("write a thank-you note to
[PERSON_1]": a friend? a boss?). Where the text itself says it, the placeholder
keeps the relation or the kind, never the identity:

- a person (or a capitalised name) is described by a relation word right beside
  it: "my colleague Tom", "Priya, my doctor", "Sam (our landlord)";
- a city (router/privacy/cities.py: GeoNames' cities of 15,000 people or more) is
  described by its country, and its placeholder is a `CITY`: `[CITY_1, a city in
  Norway]`. A LOCATION finding is a city wherever it stands; a NAME_LIKE or an
  ORGANIZATION finding only right after a place word ("my flat in Tromsø"; spaCy
  often labels a small city an organisation), since "Ask Austin" or "I work at
  Nokia" names a person or a company. The country is left out ("a city") when it
  is private: the user's rules would not send it, or the turn masks it;
- another place or an organisation the shipped public-entity list knows is
  described by its kind: "a country", "a place", "an organisation".

Every description is one of `vocabulary()`: fixed words and country names, so no
text of the user's can reach the cloud through it. A description that would
contain a protected value of the turn is dropped, or for a city cut to "a city"
(`without_protected`). The distances and place words are priors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from router.privacy.cities import (
    CITY,
    CITY_ONLY,
    city_country,
    city_description,
    country_descriptions,
    described_country,
    is_city_description,
    names_country,
)
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
    {f"{'an' if r[0] in 'aeiou' else 'a'} {r}" for r in _ROLES} | {*_KINDS.values(), CITY_ONLY}
)
"""The fixed words a placeholder can carry; `vocabulary()` adds "a city in <country>"."""
CountryPrivate = Callable[[str], bool]
"""Says whether a country (as a city description names it) must be left out."""

_PERSON_TYPES = frozenset({"PERSON", "NAME_LIKE"})
_KIND_TYPES = frozenset({"LOCATION", "ORGANIZATION"})
_SKIPPED = frozenset({"the", "a", "an", "my", "our", "his", "her", "their", "mr", "mrs", "ms"})
_SKIPPED |= {"miss", "dr", "prof", "professor", "new", "old", "dear", "best", "former"}
# The word just before a name that makes it a place ("my flat in Tromsø"). Not "at",
# "from" or "to": "a report from Nokia", "send it to Austin" name a company, a person.
_PLACE_WORDS = frozenset({"in", "near", "around", "outside", "across", "throughout", "within"})
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


def _public(country: str) -> bool:
    """No country is private (no rules to say otherwise)."""
    return False


def vocabulary() -> frozenset[str]:
    """Every description a placeholder can carry: `VOCABULARY` and one per country."""
    return VOCABULARY | country_descriptions()


def describe(text: str, finding: Finding, country_private: CountryPrivate = _public) -> str:
    """The description of `finding`'s value in `text`, from `vocabulary()`; "" when none applies.

    `country_private` says which countries a city's description must leave out.
    """
    if finding.type == "NAME_LIKE":
        return _relation(text, finding) or _city(text, finding, country_private)
    if finding.type in _PERSON_TYPES:
        return _relation(text, finding)
    if finding.type in _KIND_TYPES:
        return _city(text, finding, country_private) or _kind(text[finding.start : finding.end])
    return ""


def placeholder_type(finding_type: str, description: str) -> str:
    """The placeholder's type: `CITY` for a described city, else the finding's type."""
    return CITY if is_city_description(description) else finding_type


def _city(text: str, finding: Finding, country_private: CountryPrivate) -> str:
    """ "a city in <country>" (or "a city") for a city named as a place; "" otherwise."""
    country = city_country(text[finding.start : finding.end])
    if country is None:
        return ""  # not a city, or a country's name ("Singapore")
    if finding.type != "LOCATION":
        words = text[text.rfind("\n", 0, finding.start) + 1 : finding.start].split()
        if not words or words[-1].lower().lstrip("(\"'") not in _PLACE_WORDS:
            return ""
    return city_description("" if country and country_private(country) else country)


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
    """`values`, with descriptions that contain one of them (as a word) dropped.

    A city whose country is one of them ("Norway", or "Turkey" for "Türkiye") keeps
    "a city".
    """
    from router.privacy.redact import value_pattern

    texts = [v for p in values for v in (p.value, *p.variants) if v.strip()]
    patterns = [re.compile(value_pattern(v), re.IGNORECASE) for v in texts]

    def shown(description: str) -> str:
        country = described_country(description)
        if country and names_country(texts, country):
            description = CITY_ONLY
        return "" if any(x.search(description) for x in patterns) else description

    out: list[ProtectedValue] = []
    for p in values:
        description = shown(p.description) if p.description else ""
        same = description == p.description
        out.append(p if same else p.model_copy(update={"description": description}))
    return out
