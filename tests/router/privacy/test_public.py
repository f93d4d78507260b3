"""Public knowledge or private life, per name and in context (router/privacy/public.py).

The detectors are fakes that report given spans, so each test states exactly which
findings the step sees; the rules are the shipped ones.
"""

import pytest

from router.privacy.cues import MAX_QUESTION_CHARS
from router.privacy.exam import multiple_choice
from router.privacy.public import (
    PUBLIC,
    classify_names,
    mark_public,
    public_names,
)
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Finding, PrivacyReport, TurnRequest
from tests.support.spans import span_detector


def _scan(text: str, rules: list[PrivacyRule] | None = None, **typed: str) -> PrivacyReport:
    scanner = Scanner(rules=build_rules(rules or []), detectors=[span_detector(**typed)])
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


def _found(text: str, **typed: str) -> list[Finding]:
    return span_detector(**typed).detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "Compose a travel blog post about Hawaii.",  # a task: the frame says maybe not
        "What is Hawaii like in May? " + "Some pasted notes. " * 20,  # longer than a question
    ],
)
def test_a_listed_name_with_only_a_soft_cue_is_undecided_and_stays_private(text: str) -> None:
    classified = classify_names(text, _found(text, LOCATION="Hawaii"))
    assert [f.category for f in classified.findings] == [""]
    [undecided] = classified.undecided
    assert undecided.name == "Hawaii" and "Hawaii" in undecided.context
    assert len(undecided.context) <= MAX_QUESTION_CHARS
    assert undecided.spans == ((text.index("Hawaii"), text.index("Hawaii") + 6),)


@pytest.mark.parametrize(
    "text",
    [
        "Compose a post about my trip to Hawaii.",  # first person
        "Compose a note to Hawaii, a colleague.",  # a relation word beside it
        "Compose a letter to Tom Hargreaves in Hawaii.",  # a person who is not public
        "Compose a letter to 14 Elm Road, Hawaii.",  # an address in the sentence
    ],
)
def test_a_hard_cue_keeps_a_listed_name_private_and_out_of_doubt(text: str) -> None:
    found = _found(text, LOCATION="Hawaii", PERSON="Tom Hargreaves", STREET_ADDRESS="14 Elm Road")
    classified = classify_names(text, found)
    assert classified.undecided == ()
    assert PUBLIC not in [f.category for f in classified.findings]


def test_a_place_in_doubt_is_one_name_for_the_judge() -> None:
    text = "Draft a flyer for the fair in Buenos Aires."
    classified = classify_names(text, _found(text, NAME_LIKE="Buenos|Aires"))
    [undecided] = classified.undecided
    assert undecided.name == "Buenos Aires" and len(undecided.spans) == 2


def test_a_question_about_a_listed_name_is_public_not_undecided() -> None:
    text = "What is the capital of France?"
    classified = classify_names(text, _found(text, LOCATION="France"))
    assert [f.category for f in classified.findings] == [PUBLIC]
    assert classified.undecided == ()


_EXAM_ITEM = (
    "This question refers to the following information. In 1823 the government of "
    "the United States declared that the American continents were henceforth not to be "
    "considered subjects for future colonization by any European power, a statement "
    "later known by the name of the president who delivered it to Congress.\n"
    "Which doctrine is described?\nA. Truman\nB. Monroe\nC. Eisenhower\nD. Carter\nAnswer:"
)


def test_an_exam_item_asks_about_the_world_whatever_its_length() -> None:
    assert len(_EXAM_ITEM) > MAX_QUESTION_CHARS and multiple_choice(_EXAM_ITEM)
    findings = _found(_EXAM_ITEM, LOCATION="United States")
    assert [f.category for f in mark_public(_EXAM_ITEM, findings)] == [PUBLIC]


@pytest.mark.parametrize(
    "text",
    [
        "Why did my cousin Michael Jordan quit?\nA. work\nB. family\nC. knees\nAnswer:",
        "Call Michael Jordan on 020 7946 0018. Why?\nA. work\nB. family\nC. knees\nAnswer:",
    ],
)
def test_an_exam_item_keeps_the_cues_beside_a_name_and_identifiers(text: str) -> None:
    findings = _found(text, PERSON="Michael Jordan", PHONE_NUMBER="020 7946 0018")
    assert PUBLIC not in [f.category for f in mark_public(text, findings)]
    plain = "Why did Michael Jordan quit?\nA. work\nB. family\nC. knees\nAnswer:"
    found = _found(plain, PERSON="Michael Jordan")
    assert PUBLIC in [f.category for f in mark_public(plain, found)]


@pytest.mark.parametrize(
    "text",
    [
        "Dear team,\nA. Plan the launch in Berlin\nB. Book rooms",  # two items only
        "Steps:\nA. call\nC. write\nB. send",  # not in order
        "Write to Paris, France about the order.",
    ],
)
def test_lists_and_letters_are_not_exam_items(text: str) -> None:
    assert not multiple_choice(text)
