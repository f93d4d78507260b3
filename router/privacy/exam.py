"""Exam items and pronouns named rather than used: texts about the world, not the user.

A multiple-choice item ("...? A. Paris B. Lyon C. Nice D. Metz Answer:") asks
about the world whatever its length, phrasing or the people in its scenario
(MMLU's "Darla and Janice are two moms raising a son Timmy"). And a pronoun
written as a word list ("the main character (who uses I/me/my)") names the
pronoun; it is nobody's "I". Used by router/privacy/public.py (soft cues,
first-person cues), general.py (sensitive topics) and the names detector
(answer lists in option lines). In an exam item, a surname alone ("According
to Stevenson", "Kelsen's theory") cites an author or a figure of the field: the
people of its scenarios go by given names ("Darla", "Timmy"), which stay masked.
The thresholds are priors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router.types import Finding

# An exam item's options: a letter, "." or ")", a space, at the start of a line.
_OPTION_LINE = re.compile(r"^[ \t]*\(?([A-Ha-h])[.)][ \t]+\S", re.MULTILINE)
_MIN_OPTIONS = 3  # a prior: "A." then "B." then "C.", in order
_SLASHED = "/"
_LAST_WORD = re.compile(r"(\S+)\s*\Z")
_LOOK_BACK = 80  # characters: enough for any word, without copying the text before each name
_SURNAME = re.compile(r"[A-Z][a-z\u00e0-\u00ff]+(?:-[A-Z][a-z]+)?")


def multiple_choice(text: str) -> bool:
    """`text` is an exam item: at least three option lines lettered in order ("A. ", "B) "...)."""
    letters = [m.group(1).upper() for m in _OPTION_LINE.finditer(text)]
    return any(
        letters[i : i + _MIN_OPTIONS] == [chr(ord(first) + k) for k in range(_MIN_OPTIONS)]
        for i, first in enumerate(letters)
    )


def pronoun_mentioned(text: str, start: int, end: int) -> bool:
    """The word at text[start:end] is part of a slashed word list ("I/me/my", "he/she")."""
    return text[start - 1 : start] == _SLASHED or text[end : end + 1] == _SLASHED


def in_option_line(text: str, at: int) -> bool:
    """Offset `at` lies on an option line of an exam item ("B. Wrong, Not wrong")."""
    line_start = text.rfind("\n", 0, at) + 1
    return _OPTION_LINE.match(text, line_start) is not None


def _word_before(text: str, at: int) -> str:
    """The whitespace-delimited word just before offset `at` ("" at the start)."""
    found = _LAST_WORD.search(text, max(0, at - _LOOK_BACK), at)
    return found.group(1) if found else ""


def cited_surnames(text: str, findings: Sequence[Finding], name_types: frozenset[str]) -> list[int]:
    """Indexes of name findings in an exam item that are one capitalised word, no given name.

    Call only for an exam item (`multiple_choice`); the caller still applies its
    hard cues ("my", a relation word) before making them public.
    """
    from router.privacy.detectors.words import census_given_names, given_names

    cited = []
    for i, finding in enumerate(findings):
        word = text[finding.start : finding.end]
        bare = re.sub(r"['\u2019]s$", "", word)
        previous = _word_before(text, finding.start)
        if previous[:1].isupper() and not previous.endswith((".", ":")):
            continue  # "Tom Hargreaves": a full name of the scenario, not a cited author
        if (
            finding.type in name_types
            and not finding.category
            and _SURNAME.fullmatch(bare)
            and bare.lower() not in given_names()
            and bare.lower() not in census_given_names()
        ):
            cited.append(i)
    return cited
