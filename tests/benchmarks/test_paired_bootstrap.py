"""The paired bootstrap interval that `mmlu_redaction.py` prints beside its ratio."""

import pytest

from benchmarks.paired_bootstrap import paired_interval


def test_the_same_hits_leave_no_room_for_a_difference() -> None:
    hits = [True, False, True, True, False] * 4
    interval = paired_interval(hits, hits)
    assert interval.difference == (0.0, 0.0)
    assert interval.ratio == (1.0, 1.0)


def test_a_way_that_loses_half_the_right_answers_is_clearly_worse() -> None:
    original = [True] * 40
    sent = [True, False] * 20
    interval = paired_interval(original, sent)
    low, high = interval.difference
    assert low < -0.5 < high < 0.0
    assert interval.ratio[1] < 1.0


def test_pairs_stay_together_when_resampled() -> None:
    # Half right, and the sent way loses only question 0. Resampled in pairs the
    # difference can only be that one loss, counted 0 to a few times; resampling
    # each way on its own would swing it by about 20 points either way.
    original = [True, False] * 20
    sent = [False, *original[1:]]
    low, high = paired_interval(original, sent).difference
    assert -0.15 < low < 0.0
    assert high == 0.0


def test_a_fixed_seed_gives_the_same_interval_each_run() -> None:
    original = [True, False, True, False, False, True] * 5
    sent = [True, True, False, False, False, True] * 5
    assert paired_interval(original, sent) == paired_interval(original, sent)


def test_both_ways_must_answer_the_same_questions() -> None:
    with pytest.raises(ValueError, match="same questions"):
        paired_interval([True, False], [True])
