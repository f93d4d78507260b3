"""Which listed names a task's frame leaves in doubt, and the words a place keeps beside it.

A task ("write", "draft", "compose") may be about the user's own matter, so a
listed person, town, country or firm in it stays private unless judged public; a
religion, work, product, event or landmark names no one in particular. A listed
place keeps its geographic words ("Rhine River", "Western Europe"), never street
words, which make an address.
"""

from __future__ import annotations

import pytest

from router.privacy.public import PUBLIC, classify_names
from tests.support.spans import span_detector


def _classified(text: str, **typed: str) -> tuple[list[str], list[str]]:
    result = classify_names(text, span_detector(**typed).detect(text))
    return [f.category for f in result.findings], [u.name for u in result.undecided]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Develop a Python program that counts words.", "Python"),
        ("Compose a lesson plan on the Cold War for year 9.", "Cold War"),
        ("Write a short poem about the Alps in winter.", "Alps"),
        ("Draft a summary of Hamlet for a class of students.", "Hamlet"),
        ("Write an essay on Pride and Prejudice.", "Pride and Prejudice"),
    ],
)
def test_a_work_product_event_or_landmark_in_a_task_is_public(text: str, name: str) -> None:
    categories, undecided = _classified(text, NAME_LIKE=name)
    assert categories == [PUBLIC] and undecided == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Draft a flyer for the fair in Riyadh.", "Riyadh"),  # a town: the user's, maybe
        ("Write a visa cover letter for Kenya.", "Kenya"),  # PUPA counts such countries
        ("Write a complaint to Google about the refund.", "Google"),  # a firm: a client
        ("Write a reply to Barack Obama about the invoice.", "Barack Obama"),
    ],
)
def test_a_person_town_country_or_firm_in_a_task_stays_in_doubt(text: str, name: str) -> None:
    categories, undecided = _classified(text, NAME_LIKE=name)
    assert categories == [""] and undecided == [name]


def test_a_task_keeps_the_hard_cues_for_every_kind() -> None:
    categories, undecided = _classified("Write my own Python notes for me.", NAME_LIKE="Python")
    assert categories == [""] and undecided == []


def test_a_listed_place_keeps_its_geographic_words() -> None:
    text = "How have the Alps and Rhine River influenced settlement in Western Europe?"
    categories, _ = _classified(text, LOCATION="Alps|Rhine River|Western Europe")
    assert categories == [PUBLIC, PUBLIC, PUBLIC]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("How deep is the Smithers River near the farm?", "Smithers River"),  # unlisted
        ("Which bus goes to Paris Street from the station?", "Paris Street"),  # an address
    ],
)
def test_geographic_words_make_no_unknown_place_public(text: str, place: str) -> None:
    categories, _ = _classified(text, LOCATION=place)
    assert categories == [""]


def test_a_religion_never_makes_a_person_public() -> None:
    # "Wicca" is listed as a religion; a PERSON of that name is someone, maybe the user's.
    categories, _ = _classified("What did Wicca say at lunch?", PERSON="Wicca")
    assert categories == [""]
    categories, _ = _classified("What is Wicca?", NAME_LIKE="Wicca")
    assert categories == [PUBLIC]
