"""Exam items ask about the world: their titles, cited authors and narrators are nobody's own.

router/privacy/exam.py decides what an exam item is; the names detector, the NER
filters, the public-knowledge step and the general-topic step each use it. Every
test pairs the exam item with the same words outside one, where the old, private
answer must still hold.
"""

from __future__ import annotations

import pytest

from router.privacy.detectors.names import NameLikeDetector
from router.privacy.detectors.ner import ner_detector
from router.privacy.detectors.ner_filters import exam_title
from router.privacy.exam import in_option_line, multiple_choice, pronoun_mentioned
from router.privacy.public import PUBLIC, mark_public
from router.privacy.scan import Scanner
from router.types import Finding, TurnRequest
from tests.support.spans import span_detector

_OPTIONS = "\nA. first\nB. second\nC. third\nD. fourth\nAnswer:"


def _flagged(text: str) -> list[str]:
    return [text[f.start : f.end] for f in NameLikeDetector().detect(text)]


def _found(text: str, **typed: str) -> list[Finding]:
    return span_detector(**typed).detect(text)


def _categories(text: str, **typed: str) -> list[str]:
    return [f.category for f in mark_public(text, _found(text, **typed))]


def test_a_slashed_pronoun_is_named_not_used() -> None:
    text = "the main character (who uses I/me/my) and he/she"
    assert pronoun_mentioned(text, text.index("I/"), text.index("I/") + 1)
    assert pronoun_mentioned(text, text.index("my)"), text.index("my)") + 2)
    plain = "the character I play"
    assert not pronoun_mentioned(plain, plain.index("I "), plain.index("I ") + 1)


def test_option_lines_are_told_from_the_stem() -> None:
    text = "Which is wrong?\nA. Wrong, Wrong\nB. Not wrong, Wrong\nC. x\nAnswer:"
    assert multiple_choice(text)
    assert in_option_line(text, text.index("Wrong, Wrong") + 7)
    assert not in_option_line(text, text.index("wrong?"))


def test_title_words_of_an_exam_item_are_not_names_but_given_names_are() -> None:
    stem = "Which treaty ended the Great War, according to Harry?"
    assert set(_flagged(stem)) >= {"Great", "War", "Harry"}  # outside an exam: names
    assert _flagged(stem + _OPTIONS) == ["Harry"]


def test_an_answer_list_in_an_option_is_not_a_name() -> None:
    text = "Which is wrong?\nA. Wrong, Wrong\nB. Wrong, Not wrong\nC. Not wrong, Wrong\nAnswer:"
    assert _flagged(text) == []
    assert _flagged("They said it was wrong, Wrong said it too.") == ["Wrong"]


def test_a_word_after_a_lower_case_prefix_is_judged_alone() -> None:
    text = "In the post-Cold War era, the non-European states and the pre-Smithers plan"
    flagged = {text[f.start : f.end] for f in NameLikeDetector().detect(text)}
    assert {"Cold", "European", "Smithers"} <= flagged
    assert not {"post-Cold", "non-European", "pre-Smithers"} & flagged
    assert _flagged("a well-known fact about Coca-Cola's logo") == ["Coca-Cola's"]


def test_an_exam_title_is_ordinary_words_that_are_no_given_names() -> None:
    assert exam_title("the Federal Rules of Evidence") and exam_title("Psychoanalytic")
    assert not exam_title("Harry") and not exam_title("Kelsen")


def test_ner_drops_title_words_in_an_exam_item_only() -> None:
    detector = ner_detector()
    assert detector is not None
    stem = "Under the Federal Rules of Evidence, is the letter admissible?"
    outside = {stem[f.start : f.end] for f in detector.detect(stem)}
    inside = {stem[f.start : f.end] for f in detector.detect(stem + _OPTIONS)}
    assert any("Federal" in value for value in outside)
    assert not any("Federal" in value or "Evidence" in value for value in inside)


def test_a_surname_alone_in_an_exam_item_cites_an_author() -> None:
    stem = "According to Stevenson, empirical methods are useful to whom?"
    assert _categories(stem, PERSON="Stevenson") == [""]
    assert _categories(stem + _OPTIONS, PERSON="Stevenson") == [PUBLIC]
    named = "According to Darla, empirical methods are useful to whom?" + _OPTIONS
    assert _categories(named, PERSON="Darla") == [""]  # a given name: a scenario's person


def test_the_narrator_and_the_people_of_an_exam_scenario_are_not_the_user() -> None:
    narrator = "I visited France with the class last year. Which river crosses Paris?"
    assert _categories(narrator, LOCATION="France") == [""]
    assert _categories(narrator + _OPTIONS, LOCATION="France") == [PUBLIC]
    scenario = "Darla moved to France last year. Which river crosses Paris?"
    typed = {"PERSON": "Darla", "LOCATION": "France"}
    assert _categories(scenario, **typed) == ["", ""]
    assert _categories(scenario + _OPTIONS, **typed) == ["", PUBLIC]


def _action(text: str) -> str:
    return Scanner().scan(TurnRequest(session_id="s", text=text), []).action


@pytest.mark.parametrize(
    "stem",
    [
        "A 26-year-old patient is pregnant and has chlamydia. Which test comes first?",
        "Darla and Janice are two moms raising a son Timmy. Is Timmy likely to be gay?",
    ],
)
def test_a_sensitive_exam_item_may_use_the_cloud(stem: str) -> None:
    assert _action(stem) == "keep_local"  # a relation word or a person: someone's own
    assert _action(stem + _OPTIONS) != "keep_local"


def test_an_identifier_keeps_a_sensitive_exam_item_local() -> None:
    text = "The patient (jane.doe@example.com) is pregnant. Which test?" + _OPTIONS
    assert _action(text) == "keep_local"


def test_a_slashed_pronoun_does_not_make_a_topic_personal() -> None:
    mention = "In stories where the narrator uses I/me/my, how is depression shown?"
    assert _action(mention) != "keep_local"
    assert _action("How is my depression shown?") == "keep_local"


def test_an_exam_items_abbreviations_are_not_names_but_capitalised_given_names_are() -> None:
    stem = "Which agency enforces the UCC and NAFTA rules, says JOHN?"
    assert {"UCC", "NAFTA", "JOHN"} <= set(_flagged(stem))
    assert _flagged(stem + _OPTIONS) == ["JOHN"]
    assert exam_title("NAFTA") and not exam_title("JOHN")


def test_a_full_name_in_an_exam_scenario_is_no_cited_surname() -> None:
    text = "My neighbour Tom Hargreaves lives at the corner. Is he home?" + _OPTIONS
    assert _categories(text, NAME_LIKE="Tom|Hargreaves") == ["", ""]
    cited = "Which view does A. Stevenson hold?" + _OPTIONS
    assert _categories(cited, NAME_LIKE="Stevenson") == [PUBLIC]


def test_an_exam_items_terms_units_formulas_and_code_are_not_names() -> None:
    stem = "Serum ferritin of 12 mL in MgSO4 per nameList of hayashi, says Harry?"
    assert {"ferritin", "mL", "MgSO4", "nameList", "hayashi", "Harry"} <= set(_flagged(stem))
    assert _flagged(stem + _OPTIONS) == ["Harry"]


def test_an_exam_span_without_a_capitalised_word_is_no_name() -> None:
    assert exam_title("\\frac{8}{5") and exam_title("\u2190") and exam_title("x^2+y^2")
    assert not exam_title("Harry Potter")
