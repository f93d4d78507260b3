from pathlib import Path

import pytest

from router.ledger.pseudonyms import PseudonymStore
from router.privacy.redact import Pseudonymizer, StreamRestorer
from router.types import ProtectedValue


def _pv(type_: str, value: str, *variants: str) -> ProtectedValue:
    return ProtectedValue(type=type_, value=value, action="redact", variants=variants)


def test_same_value_same_placeholder_across_turns_and_restarts(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite"
    store = PseudonymStore(db)
    p = Pseudonymizer(store, "s")
    p.register([_pv("PERSON", "Alice Smith"), _pv("EMAIL_ADDRESS", "a@x.org")])
    first = p.redact("Alice Smith wrote from a@x.org")
    assert first == "[PERSON_1] wrote from [EMAIL_ADDRESS_1]"
    p.register([_pv("PERSON", "Bob"), _pv("PERSON", "Alice Smith")])
    assert p.redact("Bob and Alice Smith") == "[PERSON_2] and [PERSON_1]"
    store.close()
    again = Pseudonymizer(PseudonymStore(db), "s")
    assert again.redact("history: Alice Smith, Bob") == "history: [PERSON_1], [PERSON_2]"
    other = Pseudonymizer(PseudonymStore(db), "other")
    assert other.redact("Alice Smith") == "Alice Smith"  # sessions do not share placeholders


def test_variants_share_the_placeholder_and_short_values_match_whole_words() -> None:
    p = Pseudonymizer(PseudonymStore(), "s")
    p.register([_pv("CREDIT_CARD", "4111 1111 1111 1111", "4111111111111111"), _pv("PERSON", "Al")])
    assert p.redact("4111111111111111 / 4111 1111 1111 1111") == "[CREDIT_CARD_1] / [CREDIT_CARD_1]"
    assert p.redact("Also Al.") == "Also [PERSON_1]."
    assert p.restore("[CREDIT_CARD_1]") == "4111 1111 1111 1111"


ORIGINALS = {"[PERSON_1]": "Alice", "[EMAIL_ADDRESS_2]": "a@x.org", "[PERSON_12]": "Zed"}


@pytest.mark.parametrize(
    ("answer", "restored"),
    [
        ("Hi [PERSON_1], mail [EMAIL_ADDRESS_2]!", "Hi Alice, mail a@x.org!"),
        ("[PERSON_12] and [PERSON_1]", "Zed and Alice"),
        (
            "hi [person_1] (PERSON_1) PERSON_1 [PERSON 1] {Person-1}.",
            "hi Alice Alice Alice Alice Alice.",
        ),
        ("mail: EMAIL_ADDRESS_2", "mail: a@x.org"),
        (
            "a person is here, PERSONAL_1 and PERSON_3 stay",
            "a person is here, PERSONAL_1 and PERSON_3 stay",
        ),
        ("xPERSON_1 stays, [ and [P stays", "xPERSON_1 stays, [ and [P stays"),
    ],
)
def test_restore_at_every_split(answer: str, restored: str) -> None:
    for i in range(len(answer) + 1):
        for j in range(i, len(answer) + 1):
            r = StreamRestorer(ORIGINALS)
            out = r.feed(answer[:i]) + r.feed(answer[i:j]) + r.feed(answer[j:]) + r.flush()
            assert out == restored, (i, j)


def test_restorer_holds_only_a_possible_placeholder_prefix() -> None:
    r = StreamRestorer(ORIGINALS)
    assert r.feed("Hello there [PER") == "Hello there "
    assert r.feed("SON_1] ok") == "Alice ok"
    assert r.feed(" plain text") == " plain text"
    assert StreamRestorer({}).feed("[PERSON_1") == "[PERSON_1"
