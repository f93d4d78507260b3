from pathlib import Path

import numpy as np
import pytest

from router.learn.budget_env import Observation, Predictor, evaluate
from router.learn.budget_plan import (
    COST_STEP,
    LAT_STEP,
    RESIDUALS,
    LengthModel,
    ValueTables,
    build_plan,
    predictive,
    sub_simulator,
)
from router.learn.budget_tune import hindsight_over, plan_policy, tune_penalty
from router.learn.m4a1 import Simulator, load_m4a1
from tests.router.learn.synthetic import write_m4a1
from tests.router.learn.test_m4a1 import _embeddings


@pytest.fixture
def sim(tmp_path: Path) -> Simulator:
    conversations = load_m4a1(write_m4a1(tmp_path / "m.json", conversations=24))
    return Simulator(conversations, _embeddings(conversations), k=2, min_pool=1)


def test_length_model_from_conversation_lengths() -> None:
    model = LengthModel.fit([2, 2, 4, 4])
    # after turn 0 every talk goes on; after turn 1 half do; after turn 3 none
    np.testing.assert_allclose(model.carry_on[:4], [1.0, 0.5, 1.0, 0.0])
    assert model.weight[0] == pytest.approx((0.5 + 0.5 + 0.25 + 0.25) / 4)
    assert model.weight[2] == pytest.approx(0.25)


def test_predictive_adds_errors_and_margin_never_below_zero() -> None:
    mean = np.array([[1.0, 5.0, 0.01], [2.0, 0.5, 0.0]])
    residuals = np.zeros((2, RESIDUALS, 2))
    residuals[:, :, 0] = np.linspace(-2.0, 2.0, RESIDUALS)
    out = predictive(mean, residuals, margin_s=1.0)
    assert out.shape == (RESIDUALS, 2, 3)
    assert (out[:, :, 0] == mean[:, 0]).all()
    assert out[:, 0, 1].min() == pytest.approx(4.0) and out[:, 0, 1].max() == pytest.approx(8.0)
    assert out[:, 1, 1].min() == pytest.approx(1.0)  # clipped at 0, then the margin


def _flat_tables(value: float, penalty: float = 10.0) -> ValueTables:
    after = np.full((5, 181, 376), value, dtype=np.float32)
    return ValueTables(after, np.full(5, 0.25), penalty, np.zeros((2, RESIDUALS, 2)))


def test_an_action_that_would_overrun_costs_the_penalty() -> None:
    tables = _flat_tables(1.0)
    mean = np.array([[3.0, 12.0, 0.0], [1.0, 4.0, 0.0]])  # better but slower, worse but fast
    q = tables.q_values(turn=1, lat_left=10.0, usd_left=0.05, mean=mean)
    assert q[0] == pytest.approx(0.25 * 3.0 - 10.0)
    assert q[1] == pytest.approx(0.25 * 1.0 + 1.0)
    # with time for both, the better score wins
    q = tables.q_values(turn=1, lat_left=30.0, usd_left=0.05, mean=mean)
    assert q[0] > q[1]


def test_grid_cells_never_make_the_budget_look_larger() -> None:
    tables = _flat_tables(0.0)
    assert tables.cell(LAT_STEP * 3.9, COST_STEP * 2.5) == (3, 2)
    # an action using exactly what is left still fits; a hair more does not
    exact = np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0]])
    assert tables.q_values(0, 2.0, 0.05, exact)[0] == pytest.approx(0.25)
    more = np.array([[1.0, 2.01, 0.0], [1.0, 2.01, 0.0]])
    assert tables.q_values(0, 2.0, 0.05, more)[0] == pytest.approx(0.25 - 10.0)


def test_hindsight_over_counts_talks_no_route_fits(sim: Simulator) -> None:
    everything = range(len(sim.conversations))
    assert hindsight_over(sim, everything, 1000.0, 1.0) == 0.0
    assert hindsight_over(sim, everything, 1.0, 1.0) == 1.0
    least = [sim.outcomes(c)[:, :, 1].min(axis=1).sum() for c in everything]
    lat = float(np.median(least))
    assert hindsight_over(sim, everything, lat, 1.0) == pytest.approx(
        np.mean(np.array(least) > lat)
    )


def test_plan_adapts_to_the_budget_left(sim: Simulator) -> None:
    train = list(range(len(sim.conversations)))
    predictor = Predictor(sim, train, k=3)
    act = plan_policy(predictor, build_plan(sim, train, penalty=10.0, k=3))
    rng = np.random.default_rng(0)
    emb = sim.embeddings[0]
    rich = Observation(0, 0, emb, "Query", (0.2, 0.2, 0.2), 200.0, 1.0, 200.0, 1.0)
    poor = Observation(0, 0, emb, "Query", (0.2, 0.2, 0.2), 200.0, 0.0003, 200.0, 1.0)
    pred = predictor.predict(emb)
    assert act(rich, rng) == int(np.argmax(pred[:, 0]))  # a loose budget: the best score
    assert pred[act(poor, rng), 2] <= 0.0003  # no money: only what it can pay


def test_plan_beats_local_within_budget(sim: Simulator) -> None:
    train = list(range(len(sim.conversations)))
    act = plan_policy(Predictor(sim, train, k=3), build_plan(sim, train, penalty=10.0, k=3))
    ours = evaluate(sim, train, act, 20.0, 0.02)
    local = evaluate(sim, train, lambda obs, rng: 0, 20.0, 0.02)
    assert ours["over_budget_rate"] <= local["over_budget_rate"]
    assert ours["score"] > local["score"]


def test_sub_simulator_holds_only_the_kept_conversations(sim: Simulator) -> None:
    sub = sub_simulator(sim, [1, 3])
    assert [c.id for c in sub.conversations] == [sim.conversations[1].id, sim.conversations[3].id]
    np.testing.assert_allclose(sub.embeddings[0], sim.embeddings[sim.offsets[1]])


def test_tune_penalty_reports_every_setting(sim: Simulator) -> None:
    train = list(range(len(sim.conversations)))
    (penalty, margin), table = tune_penalty(
        sim, train, [(40.0, 0.05)], penalties=(5.0, 20.0), margins_s=(0.0,), folds=2, k=3
    )
    assert (penalty, margin) in {(5.0, 0.0), (20.0, 0.0)}
    assert [s["penalty"] for s in table["settings"]] == [5.0, 20.0]
    assert all(0.0 <= s["mean_over"] <= 1.0 for s in table["settings"])
