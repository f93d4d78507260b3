"""Ordinary words the name detectors must not take for names, and names they must."""

from __future__ import annotations

import gzip
from importlib import resources

import pytest

from router.privacy.detectors.words import (
    census_given_names,
    common_acronym,
    dictionary_words,
    given_names,
    known_lower_word,
    title_word,
    wordpiece_words,
)


@pytest.mark.parametrize(
    "word", ["delve", "negligent", "pineapple", "muffins", "coerced", "cheesecakes", "purchasers"]
)
def test_ordinary_words_and_their_inflections_are_known(word: str) -> None:
    assert known_lower_word(word)


@pytest.mark.parametrize("word", ["sulaiman", "hargreaves", "amer", "kylar", "toula"])
def test_names_written_in_lower_case_are_not_words(word: str) -> None:
    assert not known_lower_word(word)


@pytest.mark.parametrize("word", ["GDP", "RNA", "CEO", "NOT", "II", "XIV"])
def test_common_abbreviations_and_roman_numerals_are_not_names(word: str) -> None:
    assert common_acronym(word)


@pytest.mark.parametrize(
    ("word", "why"),
    [
        ("JOHN", "a given name"),
        ("USA", "a public name, left to the public-knowledge step"),
        ("KO", "two capitals: a ticker or initials"),
        ("SUBWAY", "a word shouted in capitals is a brand as often"),
        ("SKF", "in no vocabulary"),
    ],
)
def test_names_in_capitals_stay_names(word: str, why: str) -> None:
    assert not common_acronym(word), why


def test_the_dictionary_asset_holds_lower_case_words_outside_the_wordpiece_vocabulary() -> None:
    raw = resources.files("assets").joinpath("english_words.txt.gz").read_bytes()
    words = gzip.decompress(raw).decode("ascii").split()
    assert words == sorted(words) and len(words) > 150_000
    assert all(w.isalpha() and w.islower() for w in words)
    assert not set(words) & wordpiece_words()


def test_the_dictionary_never_vouches_for_a_word_of_a_public_name() -> None:
    # "Abraham" is a given name in the public list; a name word must stay a possible name.
    assert "abraham" in given_names()
    assert not dictionary_words() & given_names()


def test_title_words_are_ordinary_or_function_words_and_no_given_names() -> None:
    assert all(title_word(w) for w in ("the", "of", "great", "war", "rules", "exporting"))
    assert not title_word("harry") and not title_word("kelsen")


def test_census_given_names_know_common_first_names_the_famous_lack() -> None:
    names = census_given_names()
    assert {"darla", "janice", "timmy", "mary"} <= names
    assert "darla" not in given_names()  # no famous Darla: why the Census list is needed
    assert not {"stevenson", "kelsen", "durkheim"} & names
