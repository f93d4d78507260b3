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


def test_a_task_keeps_the_cue_beside_a_name_for_every_kind() -> None:
    categories, undecided = _classified("Write notes on my Python for me.", NAME_LIKE="Python")
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


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Jane is planning her Christmas party for Saturday.", "Christmas"),
        ("I watched Hamlet with Tom Hargreaves last night.", "Hamlet"),
    ],
)
def test_a_work_or_event_beside_someone_is_still_nobodys(text: str, name: str) -> None:
    categories, _ = _classified(text, NAME_LIKE=name, PERSON="Jane|Tom Hargreaves")
    public = [c for c in categories if c == PUBLIC]
    assert public == [PUBLIC]  # the work or event; the private person stays private
    place = text.replace(name, "Riyadh")
    categories, _ = _classified(place, NAME_LIKE="Riyadh", PERSON="Jane|Tom Hargreaves")
    assert PUBLIC not in categories  # a town beside a private person is the user's own


def test_a_cue_beside_a_work_still_keeps_it_private() -> None:
    categories, _ = _classified("Who is Hamlet, my neighbour?", NAME_LIKE="Hamlet")
    assert categories == [""]


def test_a_relation_word_before_a_full_name_covers_its_last_word_too() -> None:
    text = "Why did the colleague Barack Obama resign?"
    categories, _ = _classified(text, NAME_LIKE="Barack|Obama")
    assert categories == ["", ""]
    categories, _ = _classified("Why did Barack Obama resign?", NAME_LIKE="Barack|Obama")
    assert categories == [PUBLIC, PUBLIC]
