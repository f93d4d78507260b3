import numpy as np
import pytest

from router.learn.cross_dataset import (
    dominance_view,
    held_out_scores,
    in_domain,
    label_audit,
    random_folds,
    select_kind,
    train_default,
)
from router.learn.metrics import apgr, routing_curve
from router.learn.train import TrainingSet
from router.learn.transfer import topic_folds
from tests.router.learn.synthetic import mislabelled_topic, topics_only


def _apgr(scores: np.ndarray, data: TrainingSet) -> float:
    return apgr(routing_curve(scores, data.weak_quality, data.strong_quality))


def test_topic_folds_expose_a_router_that_only_knows_topics() -> None:
    data, topics = topics_only()
    by_random = held_out_scores(data, random_folds(len(topics)), "logistic", "gap")
    by_topic = held_out_scores(data, topic_folds(topics), "logistic", "gap")
    perfect = _apgr(data.gap, data)
    # A random split rewards recognising the hard topics; held-out topics do not.
    assert _apgr(by_random, data) == pytest.approx(perfect)
    assert _apgr(by_topic, data) < perfect - 0.1


def test_dominance_view_takes_the_strong_model_as_right() -> None:
    recorded, _ = mislabelled_topic(50)
    view = dominance_view(recorded)
    assert np.all(view.strong_quality == 1.0)
    np.testing.assert_array_equal(view.weak_quality, recorded.weak_quality)
    assert view.prompts == recorded.prompts


def test_label_audit_names_topics_where_the_strong_model_scores_below_the_weak() -> None:
    weak = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    strong = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    data = TrainingSet(
        [str(i) for i in range(6)], np.zeros((6, 384)), weak, strong, np.zeros(6), np.zeros(6)
    )
    audit = label_audit(data, ["math"] * 3 + ["law"] * 3)
    assert list(audit) == ["math"]
    assert audit["math"] == pytest.approx((0.0, 2 / 3, 3))


def test_select_kind_picks_the_best_held_out_topic_figure() -> None:
    data, topics = topics_only(400, topics=10)
    best, figures = select_kind(data, topics, "weak_failure", kinds=("logistic", "mf"))
    assert set(figures) == {"logistic", "mf"}
    assert figures[best] == max(figures.values())


def test_default_router_records_how_it_was_made() -> None:
    recorded, _ = mislabelled_topic(400)
    topics = [f"t{i % 6}" for i in range(400)]
    router = train_default(recorded, topics, kinds=("logistic", "mf"), command="make it")
    meta = router.meta
    assert meta["target"] == "weak_failure" and meta["seed"] == 0
    assert meta["command"] == "make it"
    assert router.kind == max(meta["selection"], key=meta["selection"].get)
    assert meta["selection_protocol"].startswith("5-fold, whole topics held out")
    with pytest.raises(ValueError, match="unknown kind"):
        train_default(recorded, topics, kinds=("forest",), command="x")


def test_default_router_trains_the_best_of_figures_given() -> None:
    recorded, _ = mislabelled_topic(300)
    topics = [f"t{i % 6}" for i in range(300)]
    figures = {"logistic": 0.55, "knn": 0.61}
    router = train_default(recorded, topics, command="c", selection=figures)
    assert router.kind == "knn" and router.meta["selection"] == figures


def test_in_domain_reports_pooled_and_per_dataset_held_out_figures() -> None:
    data, _ = topics_only(400, topics=10)
    benches = ["gsm8k" if i % 4 == 0 else f"mmlu-s{i % 3}" for i in range(400)]
    rows = in_domain(data, benches, [("gap", "logistic")])
    row = rows["gap/logistic"]
    assert set(row) == {"pooled", "gsm8k", "mmlu", "weak_failures_first"}
    # Topic identity is learnable in a random split: near the perfect ranking.
    assert row["pooled"] > _apgr(data.gap, data) - 0.05
