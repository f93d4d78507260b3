"""Nationality, region and religion words in a general question are public knowledge.

"Why did Americans move west?" asks about the world; "my American neighbour Tom"
is about the user's own life. The first scan runs the shipped detectors and rules
(`Scanner()`, as a cloud turn does); the others use a fake detector that reports
given spans, so each states exactly which findings the step sees.
"""

from router.privacy.public import PUBLIC
from router.privacy.rules import RuleSubject, build_rules
from router.privacy.scan import Scanner
from router.types import PrivacyReport, TurnRequest
from tests.support.spans import span_detector


def _scan(text: str, scanner: Scanner) -> PrivacyReport:
    return scanner.scan(TurnRequest(text=text, session_id="s"), [])


def _fake(**typed: str) -> Scanner:
    return Scanner(rules=build_rules([]), detectors=[span_detector(**typed)])


def test_a_nationality_in_a_general_question_reaches_the_cloud() -> None:
    text = "Why did Americans move west in the 1840s?"
    scanner = Scanner()
    report = _scan(text, scanner)
    assert report.action == "allow" and report.protected == ()
    (finding,) = [f for f in report.findings if text[f.start : f.end] == "Americans"]
    decision = scanner.rules.decide(RuleSubject.of(finding, value="Americans"))
    assert decision.action == "allow" and decision.rule is not None
    assert decision.rule.name == "public-knowledge" and finding.category == PUBLIC


def test_a_nationality_beside_the_users_own_person_is_redacted() -> None:
    report = _scan("What should I cook for my American neighbour Tom?", Scanner())
    assert {"American", "Tom"} <= {p.value for p in report.protected}
    report = _scan("my American neighbour Tom", _fake(NAME_LIKE="American", PERSON="Tom"))
    assert {p.value for p in report.protected} == {"American", "Tom"}


def test_regions_and_religions_in_a_question_are_public() -> None:
    text = "Why do Europeans, Latin Americans and Muslims celebrate differently?"
    report = _scan(text, _fake(NAME_LIKE="Europeans|Latin|Americans|Muslims"))
    assert report.protected == () and {f.category for f in report.findings} == {PUBLIC}


def test_a_person_is_never_made_public_by_a_nationality_word() -> None:
    # A finding the detectors call a PERSON stays private, whatever the list says.
    report = _scan("Is Jordanian coming to dinner?", _fake(PERSON="Jordanian"))
    assert {p.value for p in report.protected} == {"Jordanian"}
    report = _scan("Is Jordanian food spicy?", _fake(NAME_LIKE="Jordanian"))
    assert report.protected == ()
    # Jordan the person is no more public for "Jordanian" being listed.
    assert {p.value for p in _scan("Who is Jordan?", _fake(PERSON="Jordan")).protected} == {
        "Jordan"
    }


def test_a_word_that_is_also_a_given_name_is_not_public_alone() -> None:
    # "Christian" names people as often as a faith: left out alone, its plural is listed.
    report = _scan("Why did Christian leave the party?", _fake(NAME_LIKE="Christian"))
    assert {p.value for p in report.protected} == {"Christian"}
    report = _scan("What do Christians believe about Easter?", _fake(NAME_LIKE="Christians"))
    assert report.protected == ()
