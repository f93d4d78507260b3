"""A masked city says its country: `[CITY_1, a city in Norway]`, unless the country is private."""

import re

import pytest

from router.ledger.pseudonyms import PseudonymStore
from router.privacy.cities import city_country, country_is_private, names_country
from router.privacy.describe import describe, placeholder_type, vocabulary, without_protected
from router.privacy.detectors.base import FunctionDetector
from router.privacy.redact import PLACEHOLDER, Pseudonymizer, StreamRestorer
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.privacy.taught import teach
from router.types import Finding, ProtectedValue, TurnRequest

FLAT = "my flat in Tromsø needs a plumber, who should I call?"


def _finding(text: str, value: str, type_: str) -> Finding:
    start = text.index(value)
    return Finding(type=type_, start=start, end=start + len(value), confidence=1.0, detector="t")


def test_the_table_knows_small_cities_and_leaves_shared_names_without_a_country() -> None:
    assert city_country("Tromsø") == "Norway"  # 41,915 people: below the public list's cut
    assert city_country("TROMSØ") == "Norway"  # looked up as public.normalize_name folds it
    assert city_country("Leeds") == "the United Kingdom"
    assert city_country("Paris") == "France"  # Paris, Texas is 86 times smaller
    assert city_country("Victoria") == ""  # Hong Kong, Canada...: a city, no country
    assert city_country("Smallbrook") is None  # not a city
    assert city_country("Norway") is None  # a country is not a city
    assert city_country("Singapore") is None  # nor is a city-state


@pytest.mark.parametrize(
    ("text", "value", "type_", "description"),
    [
        (FLAT, "Tromsø", "NAME_LIKE", "a city in Norway"),
        (FLAT, "Tromsø", "LOCATION", "a city in Norway"),
        (FLAT, "Tromsø", "ORGANIZATION", "a city in Norway"),  # spaCy's label for it
        ("We live in Leeds now.", "Leeds", "LOCATION", "a city in the United Kingdom"),
        ("Our office near Victoria is cold.", "Victoria", "LOCATION", "a city"),
        ("I moved to Norway last year.", "Norway", "LOCATION", "a country"),  # not a city
        ("Is Tromsø cold?", "Tromsø", "LOCATION", "a city in Norway"),
    ],
)
def test_a_masked_city_is_described_by_its_country(
    text: str, value: str, type_: str, description: str
) -> None:
    assert describe(text, _finding(text, value, type_)) == description


@pytest.mark.parametrize(
    ("text", "value", "type_", "description"),
    [
        # A name-like word or an organisation is a city only where the text places it.
        ("Ask Austin about the report.", "Austin", "NAME_LIKE", ""),
        ("The report from Nokia is late.", "Nokia", "NAME_LIKE", ""),
        ("Send it to Austin today.", "Austin", "NAME_LIKE", ""),
        ("my friend Austin moved", "Austin", "NAME_LIKE", "a friend"),
        ("I work at Nokia now.", "Nokia", "ORGANIZATION", ""),  # Nokia, Finland: not here
        ("Tom Austin called.", "Austin", "PERSON", ""),
    ],
)
def test_a_name_that_is_also_a_city_is_not_described_as_one_out_of_place(
    text: str, value: str, type_: str, description: str
) -> None:
    assert describe(text, _finding(text, value, type_)) == description


def test_a_city_gets_the_city_placeholder_type() -> None:
    assert placeholder_type("NAME_LIKE", "a city in Norway") == "CITY"
    assert placeholder_type("LOCATION", "a city") == "CITY"
    assert placeholder_type("LOCATION", "a country") == "LOCATION"
    assert placeholder_type("PERSON", "a colleague") == "PERSON"


def test_every_city_description_is_in_the_fixed_vocabulary() -> None:
    words = vocabulary()
    assert {"a city", "a city in Norway", "a city in the United States", "a colleague"} <= words
    text = "Flights from Tromsø to Leeds via Paris"
    for value in ("Tromsø", "Leeds", "Paris"):
        assert describe(text, _finding(text, value, "LOCATION")) in words


def test_a_country_taught_private_is_left_out() -> None:
    rules = build_rules(teach([], "Norway", "private"))
    assert country_is_private(rules, "Norway")
    assert not country_is_private(build_rules(), "Norway")
    # Taught under another of its names, the country is still private.
    assert country_is_private(build_rules(teach([], "Turkey", "private")), "Türkiye")
    private = lambda country: country_is_private(rules, country)  # noqa: E731
    assert describe(FLAT, _finding(FLAT, "Tromsø", "NAME_LIKE"), private) == "a city"


def test_a_user_rule_that_redacts_every_place_hides_the_country_too() -> None:
    every_place = PrivacyRule(name="places", types=["LOCATION"], action="redact", reason="places")
    assert country_is_private(build_rules([every_place]), "Norway")


def _detect_places(text: str) -> list[Finding]:
    """Stand-in detectors: every capitalised place of these tests, as NER would tag it."""
    places = r"Tromsø|Norway|Turkey|İzmir|Leeds"
    return [
        Finding(type="LOCATION", start=m.start(), end=m.end(), confidence=0.9, detector="t")
        for m in re.finditer(places, text)
    ]


def _scan(text: str, rules: list[PrivacyRule] | None = None) -> dict[str, ProtectedValue]:
    scanner = Scanner(rules=build_rules(rules or []), detectors=[FunctionDetector(_detect_places)])
    report = scanner.scan(TurnRequest(text=text, session_id="s"), [])
    return {p.value: p for p in report.protected}


def test_a_scan_types_and_describes_a_masked_city() -> None:
    tromso = _scan(FLAT)["Tromsø"]
    assert (tromso.type, tromso.description) == ("CITY", "a city in Norway")


def test_a_scan_leaves_out_a_country_the_user_taught_private() -> None:
    tromso = _scan(FLAT, teach([], "Norway", "private"))["Tromsø"]
    assert (tromso.type, tromso.description) == ("CITY", "a city")


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("I left Norway for my flat in Tromsø.", "Tromsø"),
        ("I grew up in Turkey, my flat in İzmir is small.", "İzmir"),  # ISO: Türkiye
    ],
)
def test_a_scan_leaves_out_a_country_masked_in_the_same_turn(text: str, city: str) -> None:
    protected = _scan(text)
    assert protected[city].type == "CITY" and protected[city].description == "a city"


def _city(value: str = "Tromsø", description: str = "a city in Norway") -> ProtectedValue:
    return ProtectedValue(type="CITY", value=value, action="redact", description=description)


def test_without_protected_keeps_the_city_but_not_its_masked_country() -> None:
    norway = ProtectedValue(type="LOCATION", value="norway", action="redact")
    assert [p.description for p in without_protected([_city(), norway])] == ["a city", ""]


def test_the_same_city_keeps_its_placeholder_across_the_turn_and_the_conversation() -> None:
    store = PseudonymStore()
    first = Pseudonymizer(store, "s")
    first.register([_city()])
    assert first.redact("Tromsø, then Tromsø") == (
        "[CITY_1, a city in Norway], then [CITY_1, a city in Norway]"
    )
    later = Pseudonymizer(store, "s")
    later.register([_city(), _city("Leeds", "a city in the United Kingdom")])
    assert later.redact("From Leeds to Tromsø") == (
        "From [CITY_2, a city in the United Kingdom] to [CITY_1, a city in Norway]"
    )


def test_a_country_private_by_a_later_turn_leaves_the_placeholder() -> None:
    store = PseudonymStore()
    Pseudonymizer(store, "s").register([_city()])
    later = Pseudonymizer(store, "s")
    later.register([_city(description="a city")])  # Norway was taught private since
    assert later.redact("my flat in Tromsø") == "my flat in [CITY_1, a city]"
    assert later.restore("Call a plumber in [CITY_1, a city].") == "Call a plumber in Tromsø."


def test_a_country_masked_in_the_conversation_leaves_the_placeholder() -> None:
    store = PseudonymStore()
    p = Pseudonymizer(store, "s")
    p.register([_city()])
    p.register([ProtectedValue(type="LOCATION", value="Norway", action="redact")])
    assert p.redact("Tromsø") == "[CITY_1, a city]"


def test_a_masked_function_word_is_no_name_of_a_country() -> None:
    assert names_country(["United States"], "the United States")
    assert not names_country(["THE", "of"], "the United States")
    p = Pseudonymizer(PseudonymStore(), "s")
    p.register([_city("Austin", "a city in the United States")])
    p.register([ProtectedValue(type="NAME_LIKE", value="THE", action="redact")])
    assert p.redact("Austin") == "[CITY_1, a city in the United States]"


@pytest.mark.parametrize(
    "answer",
    [
        "Call a plumber in [CITY_1, a city in Norway].",
        "Call a plumber in [CITY_1].",
        "Call a plumber in [city_1].",
        "Call a plumber in CITY_1.",
        "Call a plumber in [CITY_1, a city].",
    ],
)
def test_restore_takes_the_described_the_bare_and_the_shortened_city(answer: str) -> None:
    p = Pseudonymizer(PseudonymStore(), "s")
    p.register([_city()])
    assert p.restore(answer) == "Call a plumber in Tromsø."


def test_a_city_placeholder_is_restored_at_every_split() -> None:
    answer = "Plumbers in [CITY_1, a city in Norway] and [CITY_2] charge more."
    originals = {
        "[CITY_1, a city in Norway]": "Tromsø",
        "[CITY_2, a city in Côte d'Ivoire]": "Bouaké",
    }
    for i in range(len(answer) + 1):
        restorer = StreamRestorer(originals)
        assert restorer.feed(answer[:i]) + restorer.feed(answer[i:]) + restorer.flush() == (
            "Plumbers in Tromsø and Bouaké charge more."
        )


def test_the_placeholder_pattern_reads_a_country_with_capitals_accents_and_articles() -> None:
    text = "[CITY_1, a city in Côte d'Ivoire] [CITY_2, a city in the United States] [CITY_3]"
    found = [(m["type"], m["description"]) for m in PLACEHOLDER.finditer(text)]
    assert found == [
        ("CITY", "a city in Côte d'Ivoire"),
        ("CITY", "a city in the United States"),
        ("CITY", None),
    ]
