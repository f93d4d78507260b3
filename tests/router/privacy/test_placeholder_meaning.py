"""Placeholders that keep meaning: `[PERSON_1, a colleague]`, `[LOCATION_1, a country]`."""

import pytest

from router.errors import EgressBlockedError
from router.ledger.pseudonyms import PseudonymStore
from router.privacy.describe import VOCABULARY, describe, without_protected
from router.privacy.guard import EgressPolicy
from router.privacy.redact import PLACEHOLDER, Pseudonymizer, StreamRestorer
from router.privacy.scan import Scanner
from router.types import Finding, ProtectedValue, TurnRequest


def _finding(text: str, value: str, type_: str = "PERSON") -> Finding:
    start = text.index(value)
    return Finding(type=type_, start=start, end=start + len(value), confidence=1.0, detector="t")


@pytest.mark.parametrize(
    ("text", "value", "description"),
    [
        ("Can you write a note to my colleague Tom Hargreaves?", "Tom Hargreaves", "a colleague"),
        ("My neighbor, Mrs Jane Doe, keeps bees.", "Jane Doe", "a neighbour"),
        ("Ask Priya, my doctor, about it.", "Priya", "a doctor"),
        ("Remind my son's teacher Ms Brown.", "Brown", "a teacher"),
        ("Tell Sam (our landlord) the rent is late.", "Sam", "a landlord"),
        ("Tom Hargreaves said hello.", "Tom Hargreaves", ""),
        ("My colleagues and Tom went out.", "Tom", ""),  # not next to the name
        ("C. With a friend\nD. In an institution", "D", ""),  # another line
        ("Ask Tom\n(my doctor) later.", "Tom", ""),
    ],
)
def test_a_person_is_described_by_the_relation_beside_the_name(
    text: str, value: str, description: str
) -> None:
    assert describe(text, _finding(text, value)) == description


@pytest.mark.parametrize(
    ("text", "value", "description"),
    [
        ("I moved to Norway last year.", "Norway", "a country"),
        ("We live in Texas now.", "Texas", "a place"),
        (
            "We live in Leeds now.",
            "Leeds",
            "a city in the United Kingdom",
        ),  # test_city_placeholders
        ("We live in Smallbrook now.", "Smallbrook", ""),  # unknown: nothing said
    ],
)
def test_a_known_place_is_described_by_its_kind(text: str, value: str, description: str) -> None:
    assert describe(text, _finding(text, value, "LOCATION")) == description


def test_a_person_is_not_described_by_a_place_of_the_same_name() -> None:
    text = "Jordan called me."
    assert describe(text, _finding(text, "Jordan")) == ""


def test_descriptions_come_from_the_fixed_vocabulary_only() -> None:
    text = "My colleague Tom, my doctor Ann and my neighbour Lee met in Norway."
    for value, type_ in [("Tom", "PERSON"), ("Ann", "PERSON"), ("Lee", "PERSON")]:
        assert describe(text, _finding(text, value, type_)) in VOCABULARY
    assert "a colleague" in VOCABULARY and "Tom" not in " ".join(VOCABULARY)


def _pv(value: str, description: str = "", type_: str = "PERSON") -> ProtectedValue:
    return ProtectedValue(type=type_, value=value, action="redact", description=description)


def test_the_placeholder_carries_the_description_consistently_across_turns() -> None:
    p = Pseudonymizer(PseudonymStore(), "s")
    p.register([_pv("Tom", "a colleague"), _pv("Ann")])
    assert p.redact("Tom and Ann") == "[PERSON_1, a colleague] and [PERSON_2]"
    # A later turn names Tom beside another cue: the first description stays.
    p.register([_pv("Tom", "a neighbour"), _pv("Ann", "a doctor")])
    assert p.redact("Tom, Ann") == "[PERSON_1, a colleague], [PERSON_2]"


@pytest.mark.parametrize(
    "answer",
    [
        "Say hi to [PERSON_1].",
        "Say hi to [PERSON_1, a colleague].",
        "Say hi to [person_1, a colleague].",
    ],
)
def test_restore_takes_the_bare_or_the_described_placeholder(answer: str) -> None:
    p = Pseudonymizer(PseudonymStore(), "s")
    p.register([_pv("Tom Hargreaves", "a colleague")])
    assert p.restore(answer) == "Say hi to Tom Hargreaves."


def test_a_described_placeholder_is_restored_at_every_split() -> None:
    answer = "Ask [PERSON_1, a colleague] and [PERSON_2]."
    originals = {"[PERSON_1, a colleague]": "Tom", "[PERSON_2]": "Ann"}
    for i in range(len(answer) + 1):
        restorer = StreamRestorer(originals)
        assert restorer.feed(answer[:i]) + restorer.feed(answer[i:]) + restorer.flush() == (
            "Ask Tom and Ann."
        )


def test_an_unbracketed_description_is_left_as_text() -> None:
    restorer = StreamRestorer({"[PERSON_1, a colleague]": "Tom"})
    assert restorer.feed("PERSON_1, a colleague, said") + restorer.flush() == (
        "Tom, a colleague, said"
    )


def test_the_placeholder_pattern_reads_both_forms() -> None:
    text = "[PERSON_1, a colleague] met [EMAIL_ADDRESS_2]"
    assert [m.group("type") for m in PLACEHOLDER.finditer(text)] == ["PERSON", "EMAIL_ADDRESS"]


def test_a_scan_describes_what_it_redacts_and_the_value_never_leaves() -> None:
    text = "Please write a thank-you note to my colleague Tom Hargreaves for the party."
    report = Scanner().scan(TurnRequest(text=text, session_id="s"), [])
    by_value = {p.value: p for p in report.protected}
    assert by_value["Tom Hargreaves"].description == "a colleague"
    p = Pseudonymizer(PseudonymStore(), "s")
    p.register(report.redact_values)
    sent = p.redact(text)
    assert "[PERSON_1, a colleague]" in sent
    assert "tom" not in sent.lower() and "hargreaves" not in sent.lower()
    guard = EgressPolicy()
    with guard.protect(report.protected):
        guard.check(sent.encode(), endpoint="cloud")  # the description passes the guard
        with pytest.raises(EgressBlockedError):
            guard.check(text.encode(), endpoint="cloud")  # the value is still blocked


def test_a_description_holding_a_protected_value_is_dropped() -> None:
    # A name that happens to be a role word must not come back inside a description.
    values = [_pv("Doctor", "a colleague"), _pv("Bo", "a doctor")]
    assert [v.description for v in without_protected(values)] == ["a colleague", ""]
