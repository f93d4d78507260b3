"""Replaying a profile as a user who rates each answer: the regret maths, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from router.learn.feedback_replay import ReplayStream, cumulative_regret, replay


def _stream() -> ReplayStream:
    """Two endpoints, the device (free) and the cloud ($0.01 = 0.2 quality at $0.05 per 1.0).

    Turns 0 and 1 ask the same question (embedding e1), turn 2 an unrelated one (e2).
    The model predicts the device 0.9 and the cloud 0.9 everywhere; in truth the device
    is wrong on e1 and right on e2, the cloud always right.
    """
    e1, e2 = [1.0, 0.0], [0.0, 1.0]
    return ReplayStream(
        names=("local", "claude"),
        kinds=("local", "cloud"),
        embeddings=np.array([e1, e1, e2], dtype=np.float32),
        quality=np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0]]),
        cost_usd=np.array([[0.0, 0.01], [0.0, 0.01], [0.0, 0.01]]),
        predicted=np.array([[0.9, 0.9], [0.9, 0.9], [0.9, 0.9]]),
    )


def test_regret_is_the_oracles_utility_minus_the_chosen_ones_summed() -> None:
    stream = _stream()
    # Utilities (quality - cost / 0.05): turn 0 and 1: device 0.0, cloud 0.8; turn 2: 1.0, 0.8.
    # Always the device: 0.8 + 0.8 + 0.0; always the cloud: 0.0 + 0.0 + 0.2.
    assert cumulative_regret(stream, np.array([0, 0, 0]), 0.05) == pytest.approx([0.8, 1.6, 1.6])
    assert cumulative_regret(stream, np.array([1, 1, 1]), 0.05) == pytest.approx([0.0, 0.0, 0.2])


def test_the_static_router_repeats_its_mistake_and_the_online_one_learns() -> None:
    stream = _stream()
    order = np.arange(3)
    # Static: the device (0.9 - 0) beats the cloud (0.9 - 0.2) on every turn.
    static, static_chosen = replay(stream, order, wtp_usd=0.05, online=False)
    assert list(static_chosen) == [0, 0, 0] and static[-1] == pytest.approx(1.6)
    # Online: the device's bad answer on e1 (turn 0) brings it to
    # overall = (10 * 0.9 + 0) / 11 = 0.818, then on e1 (weight 1): 2 * 0.818 / 3 = 0.545,
    # below the cloud's 0.7: turn 1 goes to the cloud. On e2 (weight 0) the device is worth
    # 0.818 > 0.7: turn 2 stays on the device, as it should.
    online, chosen = replay(stream, order, wtp_usd=0.05, online=True)
    assert list(chosen) == [0, 1, 0]
    assert online == pytest.approx([0.8, 0.8, 0.8])
