"""Ordinary words: what the name detectors must not mistake for a name.

A name detector that flags every word it does not know masks "delve",
"pineapple" and "GDP" before a cloud turn, and a question about them loses its
meaning. Three vocabularies, from most to least trusted:

- the 22,500 whole words of the MiniLM WordPiece vocabulary (the embedding model
  Tandem installs anyway), modern and frequent, names included ("john", "rose");
- `assets/english_words.txt.gz`: the words Webster's Second International
  Dictionary (public domain, through the `english-words` package; built by
  packaging/build_english_words.py) writes in lower case, so proper nouns stay
  out; it has no inflected forms, hence `known_lower_word`'s endings;
- given names: the first words of the people in `assets/public_entities.txt`
  (Pantheon 1.0), so that "JOHN" in capitals is still a name; and, for telling a
  given name from a surname, the 1990 US Census first names
  (`assets/given_names.txt`, packaging/build_given_names.py).

Word lists and endings here are priors, set by hand from the words that
RouteLLM's public questions and PUPA's queries showed.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import resources

# Days, months, truth values and answers: capitalised mid-sentence in titles,
# quizzes and forms ("on Monday", "A. True, False"), never anyone's name alone.
CALENDAR_AND_ANSWERS = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
    fri sat sun january february march july september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec true false yes no none
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_TITLE_FUNCTION_WORDS = frozenset(
    ["the", "a", "an", "of", "and", "or", "on", "in", "for", "to", "at", "by", "with"]
)
ROMAN_NUMERAL = re.compile(r"(?=[IVXLC])C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")
# Inflections the dictionary leaves out: (ending, what replaces it) tried in order.
_ENDINGS = (
    ("ies", "y"),
    ("ied", "y"),
    ("ier", "y"),
    ("iest", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("d", ""),
    ("ing", ""),
    ("ing", "e"),
    ("ers", ""),
    ("ers", "e"),
    ("er", ""),
    ("er", "e"),
    ("ly", ""),
    ("ness", ""),
)
# Priors: a dictionary word shorter than this is too often also a name ("amer",
# "nate"), and so is a short stem ("creat" + "ers"); the WordPiece vocabulary,
# modern and frequent, is trusted at any length.
_MIN_DICTIONARY_WORD = 5
_MIN_DICTIONARY_STEM = 4  # "bake" + "s"
_MIN_DICTIONARY_AGENT_STEM = 6  # "-er"/"-ers" make names of short stems: "creat" + "ers"
_MIN_ACRONYM = 3  # "KO", "JD": two capitals are as often a ticker or initials
_MAX_ACRONYM = 5  # "SUBWAY", "AUSTRIA": longer words in capitals are names shouted


@lru_cache(maxsize=1)
def wordpiece_words() -> frozenset[str]:
    """Whole-word entries of the all-MiniLM-L6-v2 WordPiece vocabulary (uncased)."""
    from router.memory.embedding import wordpiece_vocabulary

    return frozenset(w for w in wordpiece_vocabulary() if w.isalpha())


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Lower-case dictionary entries (see the module doc) that are no word of a public name."""
    data = resources.files("assets").joinpath("english_words.txt.gz").read_bytes()
    words = gzip.decompress(data).decode("ascii").split()
    names = name_words()
    return frozenset(w for w in words if w not in names)


@lru_cache(maxsize=1)
def name_words() -> frozenset[str]:
    """Every word of every name in `assets/public_entities.txt` (lower case)."""
    text = resources.files("assets").joinpath("public_entities.txt").read_text("utf-8")
    return frozenset(
        word.lower()
        for line in text.splitlines()
        if not line.startswith("#")
        for word in line.partition("\t")[2].split()
    )


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """First words of the full names of famous people (lower case): "john", "marie"."""
    text = resources.files("assets").joinpath("public_entities.txt").read_text("utf-8")
    names = set()
    for line in text.splitlines():
        kind, _, name = line.partition("\t")
        words = name.split()
        if kind == "person" and len(words) > 1:
            names.add(words[0].lower())
    return frozenset(names)


@lru_cache(maxsize=1)
def census_given_names() -> frozenset[str]:
    """Common first names of the 1990 US Census (lower case), from assets/given_names.txt."""
    text = resources.files("assets").joinpath("given_names.txt").read_text("ascii")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def is_word(bare: str) -> bool:
    """`bare` (lower case) is a whole entry of either vocabulary (long enough, for the second)."""
    if bare in wordpiece_words():
        return True
    return len(bare) >= _MIN_DICTIONARY_WORD and bare in dictionary_words()


def ordinary_word(bare: str) -> bool:
    """A vocabulary word that is no given name and no word of a public name ("wrong")."""
    return is_word(bare) and bare not in given_names() and bare not in name_words()


def title_word(bare: str) -> bool:
    """A word of a title that is no given name: "The", "Great", "War", "Rules", "of"."""
    if bare in _TITLE_FUNCTION_WORDS:
        return True  # "The" opens some famous names ("The Weeknd"): no given name here
    return known_lower_word(bare) and bare not in given_names()


def known_lower_word(bare: str) -> bool:
    """`bare` is an ordinary word, or an inflection of one ("muffins", "coerced", "bakes")."""
    if is_word(bare):
        return True
    for ending, replacement in _ENDINGS:
        if not bare.endswith(ending):
            continue
        stem = bare[: -len(ending)] + replacement
        if stem in wordpiece_words() and len(stem) >= 3:
            return True
        shortest = _MIN_DICTIONARY_AGENT_STEM if ending.startswith("er") else _MIN_DICTIONARY_STEM
        if len(stem) >= shortest and stem in dictionary_words():
            return True
    return False


def common_acronym(word: str) -> bool:
    """A word in capitals that is an ordinary word or abbreviation, not a name.

    "GDP", "RNA", "CEO", "NOT" are in the WordPiece vocabulary; "JOHN" is too, but
    it is a given name, and "USA" or "AUSTRIA" are public names, left to the
    public-knowledge step; "SKF" is in neither. Roman numerals ("II", "XIV") count.
    """
    if ROMAN_NUMERAL.match(word):
        return True
    bare = word.lower()
    return (
        _MIN_ACRONYM <= len(bare) <= _MAX_ACRONYM
        and bare in wordpiece_words()
        and bare not in given_names()
        and bare not in name_words()
    )
