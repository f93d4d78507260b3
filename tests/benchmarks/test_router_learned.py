"""The maths of `router_learned.py`: APGR, CPT and their cost on examples worked by hand."""

import pytest

from benchmarks.router_learned import cascade_scores, random_row, router_row

# Four questions: the device is right on the third only, the cloud on the first three.
LOCAL = [0.0, 0.0, 1.0, 0.0]
CLOUD = [1.0, 1.0, 1.0, 0.0]
COST = [0.002, 0.004, 0.001, 0.003]


def test_apgr_and_cpt_of_a_router_by_hand() -> None:
    # Cloud order by score: q0 (gain 1), q2 (gain 0), q1 (gain 1), q3 (gain 0), so the
    # curve is (0, .25), (.25, .5), (.5, .5), (.75, .75), (1, .75); gap .75 - .25 = .5.
    row = router_row([0.9, 0.2, 0.5, 0.1], LOCAL, CLOUD, COST)
    # area = .25 * (.375 + .5 + .625 + .75) = .5625; APGR = (.5625 - .25) / .5
    assert row["apgr"] == pytest.approx(0.625)
    # 50% of the gap is quality .5: reached with one cloud call of four, costing .002 / 4
    assert row["cpt50"] == pytest.approx(0.25)
    assert row["cpt50_usd"] == pytest.approx(0.0005)
    # 80% is quality .65: reached at three calls of four, costing (.002 + .001 + .004) / 4
    assert row["cpt80"] == pytest.approx(0.75)
    assert row["cpt80_usd"] == pytest.approx(0.00175)


def test_random_routing_in_expectation_by_hand() -> None:
    # Expected quality rises linearly with the cloud share: APGR 1/2 and CPT(x) = x, at x
    # times the mean cloud cost (.0025).
    row = random_row(LOCAL, CLOUD, COST)
    assert row["apgr"] == pytest.approx(0.5)
    assert (row["cpt50"], row["cpt80"]) == pytest.approx((0.5, 0.8))
    assert (row["cpt50_usd"], row["cpt80_usd"]) == pytest.approx((0.00125, 0.002))


def test_the_cascade_escalates_its_least_confident_answers_first() -> None:
    scores = cascade_scores([0.9, None, 0.2])
    # an empty answer (None) scores confidence 0, so it escalates first
    assert list(scores) == [-0.9, 0.0, -0.2]
    assert scores.argmax() == 1
