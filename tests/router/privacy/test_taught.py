"""Names the user taught: public ones reach the cloud, private ones never do.

Through the real Scanner (the default detectors, NER included where installed),
the shipped rules and the user's taught rules in front of them.
"""

from functools import cache

import pytest

from router.errors import TandemError
from router.privacy.detectors.base import Detector
from router.privacy.detectors.registry import default_detectors
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.privacy.taught import forget, taught_names, teach
from router.types import PrivacyReport, TurnRequest


@cache
def _detectors() -> tuple[Detector, ...]:
    return tuple(default_detectors())


def _scan(text: str, rules: list[PrivacyRule]) -> PrivacyReport:
    scanner = Scanner(rules=build_rules(rules), detectors=_detectors())
    return scanner.scan(TurnRequest(text=text, session_id="s"), [])


def _protected(report: PrivacyReport) -> set[str]:
    return {p.value for p in report.protected}


def test_a_name_taught_private_is_redacted_where_it_would_be_public() -> None:
    question = "Who is Barack Obama?"
    assert _scan(question, []).action == "allow"  # public knowledge, by default
    report = _scan(question, teach([], "Barack Obama", "private"))
    assert report.action == "redact" and "Barack Obama" in _protected(report)
    assert report.rule == "taught-private"


def test_a_name_taught_private_is_caught_even_where_no_detector_sees_it() -> None:
    report = _scan("Ask tom hargreaves about it.", teach([], "Tom Hargreaves", "private"))
    assert "tom hargreaves" in _protected(report)


def test_a_private_name_inside_a_longer_public_one_still_redacts_it() -> None:
    report = _scan("Who is Barack Obama?", teach([], "Obama", "private"))
    assert report.action == "redact" and report.protected


def test_a_name_taught_local_keeps_the_turn_on_the_device() -> None:
    report = _scan("Who is Barack Obama?", teach([], "Barack Obama", "local"))
    assert report.keep_local and report.rule == "taught-local"


def test_a_name_taught_mine_keeps_the_turn_on_my_devices() -> None:
    report = _scan("Who is Barack Obama?", teach([], "Barack Obama", "mine"))
    assert (report.action, report.rule) == ("keep_mine", "taught-mine")
    assert not report.keep_local
    rules = teach(teach([], "Barack Obama", "mine"), "Tom", "public")
    assert [r.name for r in rules] == ["taught-mine", "taught-public"]  # kept ones first


def test_a_name_taught_public_is_sent_where_it_would_be_redacted() -> None:
    text = "What did Barack Obama say about my neighbour Tom Hargreaves?"
    before = _scan(text, [])
    assert "Barack Obama" in _protected(before)
    rules = teach(teach([], "Barack Obama", "public"), "barack obama", "public")
    report = _scan(text, rules)
    assert "Barack Obama" not in _protected(report)
    assert "Tom Hargreaves" in _protected(report)  # not taught: still the user's own


def test_a_taught_public_name_never_lets_an_identifier_through() -> None:
    # Even written by hand into the file: a name rule matches names, never identifiers.
    rule = PrivacyRule(
        name="mine", names=["tom@example.com", "14 Elm Road"], action="allow", reason="r"
    )
    report = _scan("Write to tom@example.com at 14 Elm Road.", [rule])
    protected = _protected(report)
    assert "tom@example.com" in protected
    assert any("14 Elm Road" in value for value in protected)


@pytest.mark.parametrize(
    "identifier",
    ["tom@example.com", "020 7946 0321", "4111 1111 1111 1111", "123-45-6789", "14 Elm Road"],
)
def test_a_structured_identifier_cannot_be_taught_public(identifier: str) -> None:
    with pytest.raises(TandemError, match="cannot be marked public"):
        teach([], identifier, "public")


def test_teaching_moves_a_name_between_lists_and_forgetting_removes_it() -> None:
    rules = teach([], "Tom Hargreaves", "public")
    rules = teach(rules, "tom hargreaves", "private")
    assert taught_names(rules) == [("tom hargreaves", "private")]
    rules, found = forget(rules, "TOM HARGREAVES")
    assert found and rules == []  # an empty taught rule would match every name: removed
    assert forget(rules, "nobody") == ([], False)


def test_taught_rules_come_first_strictest_first_and_keep_the_users_own() -> None:
    own = PrivacyRule(name="falcon", keywords=["Falcon"], action="keep_local", reason="r")
    rules = teach(teach([own], "Barack Obama", "public"), "Tom", "private")
    assert [r.name for r in rules] == ["taught-private", "taught-public", "falcon"]
    assert taught_names(rules) == [("Tom", "private"), ("Barack Obama", "public")]


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(TandemError, match="empty"):
        teach([], "  ", "private")
