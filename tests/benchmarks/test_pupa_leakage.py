"""Behaviour of `benchmarks/pupa_leakage.py` on a fixed 40-query PUPA subset (NER off)."""

import json
import re
from pathlib import Path

import pytest

from benchmarks import pupa_leakage as pl
from router.privacy.redact import PLACEHOLDER, value_pattern
from tests.support.missing import missing


@pytest.fixture(autouse=True)
def _dataset() -> None:
    # ../shared/data sits beside the checkout in CI; elsewhere it may not.
    if not pl.DATASET.exists():
        missing(f"{pl.DATASET} not found (it comes with ../shared)")


SUBSET = 40


@pytest.fixture(scope="module")
def queries() -> list[pl.PupaQuery]:
    return pl.load_queries(pl.DATASET, SUBSET)


@pytest.fixture(scope="module")
def tandem(queries: list[pl.PupaQuery]) -> pl.Measured:
    path = pl.TandemPath(pl.default_scanner(ner=False))
    return pl.measure("tandem", path.send_query, queries)


def test_units_are_split_stripped_and_placeholders_left_out(
    queries: list[pl.PupaQuery],
) -> None:
    units = [u for q in queries for u in q.units]
    assert units
    assert all(u == u.strip() and u for u in units)
    assert not any(u.lower().startswith("presidio_anonymized") for u in units)
    assert sum(q.placeholder_units for q in queries) > 0  # the subset has some to leave out


def test_nothing_leaves_for_local_or_blocked_turns(
    queries: list[pl.PupaQuery], tandem: pl.Measured
) -> None:
    for query, sent in zip(queries, tandem.sent, strict=True):
        if sent.route in ("keep_local", "blocked"):
            assert sent.text is None
            assert pl.leaked_units(query, sent) == []
    assert any(s.route == "keep_local" for s in tandem.sent)


def test_redacted_text_has_a_placeholder_for_every_redacted_value(
    queries: list[pl.PupaQuery], tandem: pl.Measured
) -> None:
    redacted = [(q, s) for q, s in zip(queries, tandem.sent, strict=True) if s.route == "redact"]
    assert redacted
    for query, sent in redacted:
        assert sent.text is not None and sent.placeholders
        for value, placeholder in sent.placeholders:
            assert PLACEHOLDER.fullmatch(placeholder)  # bare or described: [CITY_1, a city]
            assert placeholder in sent.text
            assert value in query.text
            assert not re.search(value_pattern(value), sent.text), value


def test_allowed_turns_are_sent_unchanged(queries: list[pl.PupaQuery], tandem: pl.Measured) -> None:
    for query, sent in zip(queries, tandem.sent, strict=True):
        if sent.route == "allow":
            assert sent.text == query.text


def test_tandem_leaks_less_than_sending_everything(
    queries: list[pl.PupaQuery], tandem: pl.Measured
) -> None:
    everything = pl.measure("no privacy", pl.no_privacy, queries).tally(queries, lambda q: True)
    ours = tandem.tally(queries, lambda q: True)
    assert everything.units == ours.units > 0
    assert everything.leakage > 0.9  # the annotated units are (nearly all) in the queries
    assert ours.leaked < everything.leaked
    assert sum(ours.routes.values()) == ours.queries == SUBSET
    assert 0.0 <= ours.cloud_share <= 1.0


def test_held_out_half_is_about_half_of_conversations_and_queries() -> None:
    every = pl.load_queries(pl.DATASET)
    conversations = {q.conversation_hash for q in every}
    held = {h for h in conversations if pl.is_held_out(h)}
    assert 0.4 < len(held) / len(conversations) < 0.6
    assert 0.4 < sum(q.conversation_hash in held for q in every) / len(every) < 0.6


def test_main_prints_the_table_and_writes_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pupa.json"
    assert pl.main(["--limit", "8", "--no-ner", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no privacy" in printed and "published, not measured here" in printed
    assert "-- split: held-out --" in printed
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["queries"] == 8
    overall = figures["all"]["tandem (no NER)"]["overall"]
    assert overall["queries"] == 8
    assert set(figures["all"]["tandem (no NER)"]["per_category"])
    if "masked_share" in figures:
        assert 0.0 <= figures["masked_share"]["median"] <= figures["masked_share"]["p90"] <= 1.0
