"""Public questions with known answers: loading them, their fixed order, grading replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.learn.datasets import STRONG, WEAK
from router.learn.graded import grade, in_fixed_order, load_graded
from tests.support.routellm_data import write_routellm


@pytest.mark.parametrize(
    ("reply", "read", "right"),
    [
        ("B", "B", True),
        ("The answer is (B).", "B", True),
        ("A. 3", "A", False),
        ("To determine the sum, add them", None, False),
    ],
)
def test_mmlu_reply_is_graded_by_its_first_standalone_letter(
    reply: str, read: str | None, right: bool
) -> None:
    assert grade("mmlu", reply, "B") == (read, right)


@pytest.mark.parametrize(
    ("reply", "read", "right"),
    [
        ("3 + 4 = 7. The answer is 7.", "7", True),
        ("She has 1,000 pens left.", "1000", True),
        ("First 7, then 8. The answer is 8", "8", False),
        ("I cannot tell.", None, False),
    ],
)
def test_gsm8k_reply_is_graded_by_its_last_number(
    reply: str, read: str | None, right: bool
) -> None:
    reference = "1000" if "1,000" in reply else "7"
    assert grade("gsm8k", reply, reference) == (read, right)


def test_mmlu_questions_are_the_keyed_ones_with_the_tiers_correctness(tmp_path: Path) -> None:
    data, key = write_routellm(tmp_path)
    questions = load_graded(data, "mmlu", key)
    assert [(q.id, q.reference) for q in questions] == [("mmlu-tiny-0", "B"), ("mmlu-tiny-1", "A")]
    colour = questions[1]
    assert colour.tiers[WEAK].quality == 0.0 and colour.tiers[STRONG].quality == 1.0


def test_gsm8k_answers_come_from_the_test_set_without_contaminated_prompts(
    tmp_path: Path,
) -> None:
    data, _ = write_routellm(tmp_path)
    questions = load_graded(data, "gsm8k")
    assert [(q.id, q.reference) for q in questions] == [("gsm8k-0", "7"), ("gsm8k-1", "1000")]
    assert questions[1].tiers[WEAK].quality == 0.0


def test_mmlu_without_a_key_is_refused(tmp_path: Path) -> None:
    data, _ = write_routellm(tmp_path)
    with pytest.raises(ValueError, match="answer key"):
        load_graded(data, "mmlu")


def test_fixed_order_is_repeatable_and_a_limit_takes_its_head(tmp_path: Path) -> None:
    data, key = write_routellm(tmp_path)
    pool = load_graded(data, "mmlu", key) + load_graded(data, "gsm8k")
    everything = in_fixed_order(pool, None)
    assert sorted(q.id for q in everything) == sorted(q.id for q in pool)
    assert in_fixed_order(list(reversed(pool)), None) == everything
    assert in_fixed_order(pool, 3) == everything[:3]
