"""The egress fuzz in CI: a seeded subset of benchmarks/egress_fuzz.py, at the wire.

140 cases (20 per position) with the real detectors, the real `anthropic` SDK
behind the egress guard, and a real `chroma run` memory server, each recorded at
loopback: no private value may reach either, and the cloud must still be used.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from benchmarks.egress_fuzz import run_all
from tests.support.fuzz.cases import POSITIONS, Case, generate
from tests.support.fuzz.placements import Run
from tests.support.fuzz.tally import control_intact, leaks_of
from tests.support.fuzz.values import PrivateValue, luhn_card, make_value
from tests.support.fuzz.wire import CHROMA
from tests.support.missing import missing

CASES = 140


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Run]]:
    if not CHROMA.exists():
        missing(f"the `chroma` command is not installed next to {CHROMA.parent}")
    folder = tmp_path_factory.mktemp("egress-fuzz")
    yield asyncio.run(run_all(CASES, seed=17, folder=folder))


def test_no_private_value_reaches_the_cloud_or_the_memory_server(runs: list[Run]) -> None:
    assert len(runs) == CASES
    assert sum(len(r.cloud) for r in runs) > CASES // 2  # the wire was exercised
    assert sum(len(r.memory) for r in runs) > CASES
    assert [leak for run in runs for leak in leaks_of(run)] == []
    # A cloud turn with a Word file once failed here ("too long"): its estimate counted
    # the file's size though only a note about it is sent.
    assert [(r.case.index, e) for r in runs for e in r.errors] == []


def test_every_position_still_reaches_the_cloud_with_its_public_text(runs: list[Run]) -> None:
    for position in POSITIONS:
        mine = [r for r in runs if r.case.position == position]
        assert any(r.reached_cloud for r in mine), position
    # Redaction hides the values, not the rest: the public phrase beside them arrives
    # (in nearly all: spaCy reads a word glued to HTML tags, "cycle</p></body>", as a
    # proper noun, and such words are redacted as names).
    cloud = [r for r in runs if r.reached_cloud]
    intact = [r for r in cloud if control_intact(r)]
    assert len(intact) >= 0.9 * len(cloud)


def test_a_keep_local_value_keeps_its_turn_off_the_cloud(runs: list[Run]) -> None:
    # In a team, a device agent's message is relayed with placeholders instead.
    checked = [
        r
        for r in runs
        if r.case.position != "team" and any(v.action == "keep_local" for v in r.case.values)
    ]
    assert checked
    assert [r.case.index for r in checked if r.reached_cloud or not r.kept_local] == []


def _run_with(value: PrivateValue, body: bytes, codec: str = "") -> Run:
    case = Case(0, "prompt", "-", "-", (value,), "prime numbers")
    return Run(case, cloud=[b"POST /v1/messages HTTP/1.1\r\n\r\n" + body], codec=codec)


def test_the_leak_check_finds_values_in_every_form_they_can_leave_in() -> None:
    import random

    rng = random.Random(3)
    card = make_value("card", rng, "fullwidth")
    digits = "".join(c for c in card.value if c.isdigit())
    for body in (
        json.dumps({"text": f"pay {card.placed}"}).encode(),  # JSON-escaped full-width digits
        json.dumps({"text": f"pay {digits}"}).encode(),
        card.value.encode("utf-16-le"),
    ):
        assert leaks_of(_run_with(card, body, "utf-16-le")), body
    assert leaks_of(_run_with(card, b'{"text": "pay [CREDIT_CARD_1]"}')) == []


def test_generated_cards_pass_the_luhn_check() -> None:
    import random

    rng = random.Random(5)
    for _ in range(50):
        digits = [int(c) for c in luhn_card(rng) if c.isdigit()]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in
                    enumerate(reversed(digits)))  # fmt: skip
        assert total % 10 == 0 and len(digits) in (15, 16)


def test_the_cases_cover_every_position_format_encoding_and_spelling() -> None:
    cases = generate(2000)
    assert cases == generate(2000)  # seeded
    attachments = {(c.fmt, c.encoding) for c in cases if c.position == "attachment"}
    assert len(attachments) == 8 * 10 + 3  # text formats x encodings, PDF, Word, file name
    spellings = {(v.kind, v.variant) for c in cases for v in c.values}
    assert len(spellings) == 23
    assert {c.position for c in cases} == set(POSITIONS)
