"""Quiz options, labels and line breaks: what NER calls a name in a list, and is not."""

from __future__ import annotations

import pytest

from router.privacy.detectors.ner_filters import entity_lines, ordinary_proper_noun


def _spans(text: str, start: int, end: int) -> list[str]:
    return [text[s:e] for s, e in entity_lines(text, start, end)]


def test_an_entity_across_option_lines_is_split_into_its_names() -> None:
    text = "Who said it?\nA. Holland\nB. Salmond\nC. Austin\nAnswer:"
    start = text.index("B.")
    assert _spans(text, start, text.index("Answer") - 1) == ["Salmond", "Austin"]


def test_an_option_that_is_one_ordinary_word_is_no_name() -> None:
    text = "Scenario 1 | I took the cake.\nA. Wrong, Wrong\nB. Wrong, Not wrong"
    start = text.index("A. Wrong")
    assert _spans(text, start, start + len("A. Wrong")) == []


def test_a_name_outside_a_list_is_unchanged() -> None:
    text = "Yesterday Marie Curie spoke."
    start = text.index("Marie")
    assert _spans(text, start, start + len("Marie Curie")) == ["Marie Curie"]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("A. True\nB. False\nAnswer:", "Answer"),  # a label before a colon, opening a line
        ("Options:\nB. Whale", "B."),  # an option letter
        ("Meet on Monday at noon", "Monday"),
        ("The GDP of Peru grew", "GDP"),
        ("a > b", ">"),
    ],
)
def test_proper_noun_tags_that_name_nobody(text: str, word: str) -> None:
    assert ordinary_proper_noun(text, text.index(word), word)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("(Wade) I'm sergeant Anthony Wade.", "Wade"),  # a name that is also a word
        ("Nate has been an attorney since 2008.", "Nate"),
        ("Send it to JOHN today", "JOHN"),
    ],
)
def test_proper_noun_tags_on_names_stay(text: str, word: str) -> None:
    assert not ordinary_proper_noun(text, text.index(word), word)
