import numpy as np
import pytest

from router.learn.metrics import apgr, routing_curve
from router.learn.train import TrainingSet
from router.learn.transfer import bootstrap_apgr, group_means, paired_apgr_difference, topic_folds


def _data(weak: list[float], strong: list[float]) -> TrainingSet:
    n = len(weak)
    return TrainingSet(
        [f"p{i}" for i in range(n)],
        np.zeros((n, 384)),
        np.array(weak),
        np.array(strong),
        np.zeros(n),
        np.zeros(n),
    )


def _noisy(n: int = 120, seed: int = 0) -> tuple[TrainingSet, np.ndarray]:
    rng = np.random.default_rng(seed)
    weak = (rng.random(n) < 0.6).astype(float)
    data = _data(list(weak), [1.0] * n)
    return data, data.gap + rng.normal(0, 0.8, n)


def test_topic_folds_hold_out_every_topic_once_and_never_split_one() -> None:
    topics = [f"t{i % 13}" for i in range(400)] + ["big"] * 100
    folds = topic_folds(topics, folds=5, seed=0)
    names = np.array(topics)
    held = np.concatenate([test for _, test in folds])
    assert sorted(held.tolist()) == list(range(len(topics)))
    for train, test in folds:
        assert not set(names[train]) & set(names[test])
    sizes = [len(test) for _, test in folds]
    assert max(sizes) - min(sizes) <= 40


def test_topic_folds_need_enough_topics() -> None:
    with pytest.raises(ValueError, match="cannot fill"):
        topic_folds(["a", "b", "a"], folds=5)


def test_bootstrap_interval_brackets_the_apgr_and_repeats() -> None:
    data, scores = _noisy()
    first = bootstrap_apgr(scores, data, rounds=300, seed=1)
    point = apgr(routing_curve(scores, data.weak_quality, data.strong_quality))
    assert first.value == pytest.approx(point)
    assert first.low < point < first.high
    assert bootstrap_apgr(scores, data, rounds=300, seed=1) == first


def test_paired_difference_is_zero_for_one_router_and_positive_for_a_better_one() -> None:
    data, scores = _noisy()
    same = paired_apgr_difference(scores, scores, data, rounds=200)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
    better = paired_apgr_difference(data.gap, -data.gap, data, rounds=200)
    assert better.low > 0.3 and better.value > 0.45


def test_group_means_rank_groups_by_score() -> None:
    data = _data([0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0])
    rows = group_means([0.9, 0.1, 0.2, 0.7], data, ["math", "chat", "chat", "math"])
    assert list(rows) == ["math", "chat"]
    assert rows["math"] == pytest.approx((0.8, 1.0, 2))
    assert rows["chat"] == pytest.approx((0.15, 0.0, 2))
