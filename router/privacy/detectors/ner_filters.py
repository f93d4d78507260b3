"""What spaCy calls a name in a quiz or a list, and is not one.

The small English model reads "A. Wrong\nB. Not wrong" or "B. Salmond\nC. Austin"
as people, and tags "B.", "True", "Monday", "GDP" and the "Answer" of "Answer:"
as proper nouns. Masked before a cloud turn, they blank out the question's shape
(the options of an exam question) while protecting nobody. These filters run on
the NER detector's output; the names detector applies the same word lists.
"""

from __future__ import annotations

import re

from router.privacy.detectors.words import (
    CALENDAR_AND_ANSWERS,
    common_acronym,
    given_names,
    is_word,
    ordinary_word,
    title_word,
)

# A list or option marker opening a line: "A. ", "b) ", "(C) ", "1. ".
_MARKER = re.compile(r"[ \t]*(?:\(?[A-Za-z]\)|[A-Za-z]\.|\d{1,2}[.)])[ \t]+")
# A word alone before a colon at the start of a line: a form's label ("Answer:").
_LINE_LABEL = re.compile(r"[ \t]*[A-Za-z]+:")
_WORD = re.compile(r"[A-Za-z]+")


def _line_start(text: str, at: int) -> int:
    return text.rfind("\n", 0, at) + 1


def ordinary_proper_noun(text: str, start: int, word: str) -> bool:
    """A proper-noun tag that names nobody: punctuation, a letter, a day, a label."""
    letters = [c for c in word if c.isalpha()]
    if not any(c.isalnum() for c in word) or len(letters) < 2:
        return True
    bare = word.lower().rstrip(".")
    if bare in CALENDAR_AND_ANSWERS or (word.isupper() and common_acronym(word)):
        return True
    return is_word(bare) and _LINE_LABEL.match(text, _line_start(text, start)) is not None


def exam_title(span: str) -> bool:
    """In an exam item, a span of ordinary words that are no given names: a title or term.

    A test question's "Psychoanalytic", "the Great War", "Source 1", "NAFTA" or a
    span with no capitalised word (math, symbols) names nobody;
    "Harry" or "Smith Austin" keep their tag (router/privacy/exam.py decides what an
    exam item is).
    """
    words = _WORD.findall(span)
    if not any(w[:1].isupper() for w in words):
        return True  # symbols, numbers, math ("\\frac{8}{5", "←"): no capitalised word
    return all(title_word(w.lower()) or _abbreviation(w) for w in words)


def _abbreviation(word: str) -> bool:
    """Capitals that spell no given name: an exam's "NAFTA", "IFRS" (not "JOHN")."""
    return len(word) >= 2 and word.isupper() and word.lower() not in given_names()


def entity_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """An entity's span split at line breaks, without list markers or a lone option word.

    "B. Salmond\\nC. Austin" gives "Salmond" and "Austin"; "A. Wrong" gives nothing
    (an ordinary word opening an option names nobody); "Marie Curie" is unchanged.
    """
    spans: list[tuple[int, int]] = []
    position = start
    for line in text[start:end].split("\n"):
        begin, finish = position, position + len(line)
        position = finish + 1
        if begin == _line_start(text, begin):
            marker = _MARKER.match(text, begin, finish)
            begin = marker.end() if marker else begin
            if marker and _one_ordinary_word(text[begin:finish]):
                continue
        while begin < finish and text[begin].isspace():
            begin += 1
        while finish > begin and text[finish - 1].isspace():
            finish -= 1
        if finish > begin:
            spans.append((begin, finish))
    return spans


def _one_ordinary_word(span: str) -> bool:
    return _WORD.fullmatch(span.strip()) is not None and ordinary_word(span.strip().lower())
