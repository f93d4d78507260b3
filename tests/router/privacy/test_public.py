"""Public knowledge or private life, per name and in context (router/privacy/public.py).

The detectors are fakes that report given spans, so each test states exactly which
findings the step sees; the rules are the shipped ones.
"""

import re

import pytest

from router.privacy.detectors.base import FunctionDetector
from router.privacy.public import PUBLIC, mark_public, public_names
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Finding, PrivacyReport, TurnRequest


def _spans(**typed: str) -> FunctionDetector:
    """A detector reporting each `TYPE="word|other words"` occurrence as that type."""

    def detect(text: str) -> list[Finding]:
        found = []
        for kind, alternatives in typed.items():
            for value in alternatives.split("|"):
                for m in re.finditer(re.escape(value), text):
                    found.append(
                        Finding(
                            type=kind, start=m.start(), end=m.end(), confidence=0.8, detector="t"
                        )
                    )
        return found

    return FunctionDetector(detect, name=f"spans{sorted(typed.items())}")


def _scan(text: str, rules: list[PrivacyRule] | None = None, **typed: str) -> PrivacyReport:
    scanner = Scanner(rules=build_rules(rules or []), detectors=[_spans(**typed)])
    return scanner.scan(TurnRequest(text=text, session_id="s"), [])


def _redacted(report: PrivacyReport) -> set[str]:
    return {p.value for p in report.protected}


def test_the_list_knows_people_places_works_and_organisations() -> None:
    names = public_names()
    for name in ("barack obama", "france", "pride and prejudice", "united nations", "tokyo"):
        assert name in names
    assert "person" in names["barack obama"] and "country" in names["france"]


def test_a_country_in_a_question_reaches_the_cloud() -> None:
    report = _scan("What is the capital of France? One word.", LOCATION="France")
    assert report.action == "allow" and report.protected == ()
    assert [f.category for f in report.findings] == [PUBLIC]


def test_a_title_split_into_name_like_words_is_public_as_a_whole() -> None:
    report = _scan("Who wrote Pride and Prejudice?", NAME_LIKE="Pride|Prejudice")
    assert report.action == "allow"
    assert [f.category for f in report.findings] == [PUBLIC, PUBLIC]


@pytest.mark.parametrize(
    "text",
    [
        "What did my colleague Michael Jordan say about it?",
        "Who is Michael Jordan, my neighbour?",
        "Does Michael Jordan from next door like basketball?",
        "What should I ask Michael Jordan about basketball?",
        "Explain why our client Michael Jordan wants a discount.",
    ],
)
def test_a_cue_of_the_users_own_life_makes_a_famous_name_private(text: str) -> None:
    report = _scan(text, PERSON="Michael Jordan")
    assert "Michael Jordan" in _redacted(report)


def test_an_address_or_a_private_person_in_the_sentence_makes_a_city_private() -> None:
    report = _scan(
        "Is 40 Kings Road in London near the river?",
        STREET_ADDRESS="40 Kings Road",
        LOCATION="London",
    )
    assert _redacted(report) == {"40 Kings Road", "London"}
    report = _scan(
        "Why is Tom Hargreaves moving to London?", PERSON="Tom Hargreaves", LOCATION="London"
    )
    assert _redacted(report) == {"Tom Hargreaves", "London"}


def test_a_person_is_never_made_public_by_a_place_of_the_same_name() -> None:
    assert _redacted(_scan("Who is Jordan?", PERSON="Jordan")) == {"Jordan"}
    assert _redacted(_scan("Where is Jordan?", LOCATION="Jordan")) == set()


def test_an_unknown_word_left_in_a_name_keeps_it_private() -> None:
    report = _scan("Who is Jordan Smithers?", NAME_LIKE="Jordan|Smithers")
    assert _redacted(report) == {"Jordan", "Smithers"}
    # An ordinary word opening the sentence, caught in a span, hides no name.
    report = _scan("Describe Toyota's history.", PERSON="Describe Toyota")
    assert _redacted(report) == set()


@pytest.mark.parametrize(
    "text",
    [
        "Draft a flyer for the event in Paris.",  # a task: the user's own matter
        "Mohannad moved to Paris last year.",  # a statement, not a question
        "I live in Paris; what should I do on Sunday?",  # first person
        "What is the capital of France and Paris? " + "Some pasted notes. " * 20,  # a document
    ],
)
def test_tasks_statements_and_documents_keep_names_private(text: str) -> None:
    report = _scan(text, LOCATION="Paris|France")
    assert "Paris" in _redacted(report)


def test_the_users_own_rule_still_redacts_a_public_name() -> None:
    rule = PrivacyRule(
        name="no-places", types=["LOCATION"], action="redact", reason="places stay home"
    )
    report = _scan("What is the capital of France?", [rule], LOCATION="France")
    assert _redacted(report) == {"France"} and report.rule == "no-places"


def test_structured_identifiers_are_never_marked_public() -> None:
    text = "Where is Victoria Street? Mail paris@example.com or call 020 7946 0321."
    findings = [
        Finding(type="STREET_ADDRESS", start=9, end=24, confidence=0.9, detector="t"),
        Finding(type="EMAIL_ADDRESS", start=31, end=48, confidence=1.0, detector="t"),
        Finding(type="PHONE_NUMBER", start=57, end=70, confidence=1.0, detector="t"),
    ]
    assert [f.category for f in mark_public(text, findings)] == ["", "", ""]
