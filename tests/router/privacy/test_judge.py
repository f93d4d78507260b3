"""Reading the name judge's answer (router/privacy/judge.py): only an explicit "public" counts."""

import pytest

from router.privacy.judge import judge_messages, parse_verdicts
from router.privacy.public import Undecided


@pytest.mark.parametrize(
    ("reply", "names", "public"),
    [
        ("1. public", ["Hawaii"], {0}),
        ("1. Hawaii: public\n2. Tokyo - private", ["Hawaii", "Tokyo"], {0}),
        ("1) PUBLIC\n2) public", ["Hawaii", "Tokyo"], {0, 1}),
        ("public", ["Hawaii"], {0}),  # one name, a bare answer
        ("public", ["Hawaii", "Tokyo"], set()),  # two names: which?
        ("2. public", ["Hawaii"], set()),  # no such name
        ("1. non-public", ["Hawaii"], set()),
        ("1. public\n1. public", ["Hawaii"], {0}),
        ("1. Public Enemy", ["Public Enemy"], set()),  # the name echoed is no verdict
        ("1. Private Eye: public", ["Private Eye"], {0}),
        ("", ["Hawaii"], set()),
    ],
)
def test_only_an_explicit_public_counts(reply: str, names: list[str], public: set[int]) -> None:
    assert parse_verdicts(reply, names) == public


def test_the_prompt_shows_each_context_once_and_numbers_names_across_it() -> None:
    names = [
        Undecided("Hawaii", "Compose a post about Hawaii and Tokyo.", ((24, 30),)),
        Undecided("Tokyo", "Compose a post about Hawaii and Tokyo.", ((35, 40),)),
        Undecided("Paris", "Draft a flyer for the event in Paris.", ((31, 36),)),
    ]
    system, user = judge_messages(names)
    assert system.role == "system" and "public" in system.content and "private" in system.content
    assert user.content.count("Compose a post about Hawaii and Tokyo.") == 1
    assert "1. Hawaii\n2. Tokyo" in user.content and "3. Paris" in user.content
