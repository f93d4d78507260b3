import pytest

from router.privacy import evaluate as ev
from router.types import Finding


def S(t: str, a: int, b: int) -> ev.Span:
    return ev.Span(t, a, b)


def test_span_scores_exact_numbers() -> None:
    gold = [
        [S("PERSON", 0, 10), S("GPE", 20, 25), S("EMAIL_ADDRESS", 30, 40)],
        [S("PERSON", 0, 5)],
    ]
    pred = [
        # PERSON partial overlap (correct), LOCATION~GPE (correct), a wrong-type hit
        [S("PERSON", 5, 12), S("LOCATION", 21, 23), S("PERSON", 30, 40)],
        # miss the person, one false positive, one unscored type (not in gold space)
        [S("PERSON", 6, 9), S("API_KEY", 0, 5)],
    ]
    scores = ev.score_spans(gold, pred)
    person = scores.per_type["PERSON"]
    assert (person.predicted, person.correct, person.support, person.found) == (3, 1, 2, 1)
    assert person.precision == pytest.approx(1 / 3)
    assert person.recall == pytest.approx(0.5)
    assert person.f1 == pytest.approx(0.4)
    loc = scores.per_type["LOCATION"]
    assert (loc.precision, loc.recall) == (1.0, 1.0)
    email = scores.per_type["EMAIL"]
    assert (email.predicted, email.support, email.recall) == (0, 1, 0.0)
    assert "API_KEY" not in scores.per_type
    overall = scores.overall
    assert (overall.predicted, overall.correct, overall.support, overall.found) == (4, 2, 4, 2)
    assert overall.f1 == pytest.approx(0.5)


def test_adjacent_spans_do_not_overlap() -> None:
    scores = ev.score_spans([[S("PERSON", 0, 5)]], [[S("PERSON", 5, 9)]])
    assert scores.overall.correct == 0 and scores.overall.found == 0


def test_street_address_counts_as_location() -> None:
    assert ev.canonical_type("STREET_ADDRESS") == ev.canonical_type("GPE") == "LOCATION"


def test_subsample_is_deterministic() -> None:
    items = list(range(100))
    assert ev.subsample(items, 10) == ev.subsample(items, 10)
    assert len(ev.subsample(items, 10)) == 10
    assert ev.subsample(items, None) == items


def test_pupa_leakage_on_three_rows() -> None:
    rows = [
        ev.PupaRow("My card 4111 and name Ann Lee", ["4111", "Ann Lee"]),  # kept local
        ev.PupaRow("Write to Bob Ray at ACME Corp", ["bob ray", "acme corp", "absent"]),
        ev.PupaRow("Hello from Zed Q", ["Zed Q", "presidio_anonymized_person"]),  # allowed
    ]
    decisions = {
        rows[0].query: ("keep_local", ""),
        rows[1].query: ("redact", "Write to [PERSON] at ACME Corp"),
        rows[2].query: ("allow", rows[2].query),
    }
    report = ev.leakage(rows, lambda q: decisions[q])
    # scored units: 2 + 2 (absent one dropped) + 1 (placeholder dropped) = 5
    assert report.units == 5
    assert report.leaked == 2  # "acme corp" survives redaction, "Zed Q" allowed
    assert report.leakage_rate == pytest.approx(0.4)
    assert (report.kept_local, report.redacted, report.allowed) == (1, 1, 1)
    assert report.cloud_share == pytest.approx(2 / 3)


def test_redact_spans_merges_overlaps() -> None:
    text = "Ann Lee in Paris"
    findings = [
        Finding(type="PERSON", start=0, end=7, confidence=1, detector="t"),
        Finding(type="PERSON", start=4, end=7, confidence=1, detector="t"),
        Finding(type="LOCATION", start=11, end=16, confidence=1, detector="t"),
    ]
    assert ev.redact_spans(text, findings) == "[PERSON] in [LOCATION]"


def test_decide_text_redacts_names() -> None:
    def scan(text: str) -> list[Finding]:
        return [Finding(type="PERSON", start=0, end=3, confidence=1, detector="t")]

    decision, sent = ev.decide_text("Ann is here", scan)
    assert (decision, sent) == ("redact", "[PERSON] is here")
