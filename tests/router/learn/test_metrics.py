from pathlib import Path

import numpy as np
import pytest

from router.learn.metrics import (
    apgr,
    auc,
    cpt,
    random_summary,
    routing_curve,
    share_for_strong_ratio,
)

WEAK = [0.0, 0.0, 1.0, 1.0]
STRONG = [1.0, 1.0, 1.0, 0.0]


def test_curve_points_by_hand() -> None:
    curve = routing_curve([0.9, 0.8, 0.2, 0.1], WEAK, STRONG)
    assert curve.share.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve.quality.tolist() == [0.5, 0.75, 1.0, 1.0, 0.75]


def test_apgr_and_cpt_by_hand() -> None:
    curve = routing_curve([0.9, 0.8, 0.2, 0.1], WEAK, STRONG)
    # trapezoids: .25*(.5+.75)/2 + .25*(.75+1)/2 + .25*1 + .25*(1+.75)/2 = 0.84375
    assert auc(curve) == pytest.approx(0.84375)
    assert apgr(curve) == pytest.approx((0.84375 - 0.5) / 0.25)
    # target 50%: 0.5 + 0.5 * 0.25 = 0.625, reached after one strong call of four
    assert cpt(curve, 0.5) == pytest.approx(0.25)
    assert cpt(curve, 0.8) == pytest.approx(0.25)
    # 95% of all-strong quality (0.7125) is also reached at 25%
    assert share_for_strong_ratio(curve, 0.95) == pytest.approx(0.25)


def test_ties_move_together() -> None:
    curve = routing_curve([0.5, 0.5, 0.5, 0.5], WEAK, STRONG)
    assert curve.share.tolist() == [0.0, 1.0]
    assert apgr(curve) == pytest.approx(0.5)
    assert cpt(curve, 0.5) == pytest.approx(1.0)


def test_worst_order_recovers_less_than_random() -> None:
    curve = routing_curve([0.1, 0.2, 0.8, 0.9], WEAK, STRONG)
    assert apgr(curve) < 0.5


def test_costs_follow_the_strong_share() -> None:
    curve = routing_curve([0.9, 0.1], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 4.0])
    assert curve.cost.tolist() == [0.0, 1.0, 3.0]


def test_random_routing_recovers_about_half() -> None:
    rng = np.random.default_rng(1)
    weak = (rng.random(2000) < 0.6).astype(float)
    strong = (rng.random(2000) < 0.8).astype(float)
    result = random_summary(weak, strong, seeds=10)
    assert result["apgr"] == pytest.approx(0.5, abs=0.05)
    assert result["cpt50"] == pytest.approx(0.5, abs=0.1)


def test_equal_models_have_no_gap() -> None:
    curve = routing_curve([0.3, 0.7], [1.0, 0.0], [1.0, 0.0])
    assert np.isnan(apgr(curve))


def test_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        routing_curve([0.1], [0.0, 1.0], [1.0, 1.0])


def test_curves_plot_writes_a_png(tmp_path: Path) -> None:
    from router.learn.evaluation import curves_plot

    curve = routing_curve([0.9, 0.8, 0.2, 0.1], WEAK, STRONG)
    out = tmp_path / "c.png"
    curves_plot([("toy", curve)], str(out), "toy")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
