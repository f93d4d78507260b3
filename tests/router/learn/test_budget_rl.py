from pathlib import Path

import numpy as np
import pytest

from router.errors import TandemError
from router.learn.baselines import constant, greedy, parse_yes, prompt_policy, question_key
from router.learn.budget_env import Observation, Predictor, evaluate
from router.learn.budget_rl import load_policy, save_policy, shield, train_policy
from router.learn.m4a1 import Simulator, load_m4a1
from tests.router.learn.synthetic import write_m4a1
from tests.router.learn.test_m4a1 import _embeddings


@pytest.fixture
def sim(tmp_path: Path) -> Simulator:
    conversations = load_m4a1(write_m4a1(tmp_path / "m.json", conversations=20))
    return Simulator(conversations, _embeddings(conversations), k=2, min_pool=1)


def _obs(turn: int = 0, lat: float = 30.0, usd: float = 0.05) -> Observation:
    return Observation(0, turn, np.zeros(384), "Query", (0.2, 0.2, 0.2), lat, usd, 30.0, 0.05)


def test_shield_masks_what_the_budget_cannot_pay() -> None:
    pred = np.zeros((9, 3))
    pred[:, 1] = [8, 4, 5, 5, 5, 6, 6, 6, 7]
    pred[:, 2] = [0.0001, 0.0005, 0.0045, 0.0045, 0.0045, 0.009, 0.009, 0.009, 0.0135]
    z = shield(pred, _obs(usd=0.005), np.zeros(9))
    assert np.isfinite(z[:5]).all() and np.isinf(z[5:]).all()
    # too little time for anything: only the fastest affordable action remains
    z = shield(pred, _obs(lat=1.0), np.zeros(9))
    assert np.isfinite(z).sum() == 1 and np.isfinite(z[1])
    # a reserve for later turns masks the slow actions early in a conversation
    z = shield(pred, _obs(turn=0, lat=30.0), np.zeros(9), reserve_s=6.0)  # 6 s left now
    assert np.isfinite(z[1]) and np.isinf(z[0])


def test_budget_policy_stays_in_budget_and_beats_local(sim: Simulator) -> None:
    train = list(range(len(sim.conversations)))
    policy = train_policy(sim, train, [(12.0, 0.01), (20.0, 0.02)], seed=0, plan_penalty=10.0)
    ours = evaluate(sim, train, policy, 12.0, 0.01)
    local = evaluate(sim, train, constant(0), 12.0, 0.01)
    assert ours["over_budget_rate"] <= local["over_budget_rate"]
    assert ours["score"] > local["score"]


def test_policy_round_trip(sim: Simulator, tmp_path: Path) -> None:
    train = list(range(len(sim.conversations)))
    policy = train_policy(
        sim, train, [(20.0, 0.02)], seed=1, plan_penalty=7.0, plan_margin_s=1.5,
        residual_episodes=50,
    )  # fmt: skip
    policy.reserve_s = 2.5
    loaded = load_policy(save_policy(policy, tmp_path / "p.npz"))
    assert loaded.reserve_s == 2.5 and loaded.budget_state
    assert loaded.meta["version"] == 2
    assert loaded.plan is not None and policy.plan is not None
    assert (loaded.plan.penalty, loaded.plan.margin_s) == (7.0, 1.5)
    np.testing.assert_allclose(loaded.plan.residuals, policy.plan.residuals)
    np.testing.assert_allclose(loaded.plan.after, policy.plan.after, atol=0.02)  # float16
    np.testing.assert_allclose(loaded.w_pair, policy.w_pair)
    for budget in ((20.0, 0.02), (35.0, 0.03)):
        a = evaluate(sim, train, policy, *budget)
        b = evaluate(sim, train, loaded, *budget)
        assert a["score"] == pytest.approx(b["score"], rel=1e-3)


def test_version_1_policy_still_loads_and_acts(sim: Simulator, tmp_path: Path) -> None:
    import json

    train = list(range(len(sim.conversations)))
    policy = train_policy(sim, train, [(20.0, 0.02)], episodes=50, seed=1, plan=False)
    assert policy.plan is None
    file = save_policy(policy, tmp_path / "v1.npz")
    with np.load(file) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
    meta["version"] = 1
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(tmp_path / "old.npz", meta=blob, **arrays)
    loaded = load_policy(tmp_path / "old.npz")
    assert loaded.plan is None
    a = evaluate(sim, train, policy, 20.0, 0.02)
    assert evaluate(sim, train, loaded, 20.0, 0.02)["score"] == pytest.approx(a["score"])


def test_unknown_policy_version_is_refused(sim: Simulator, tmp_path: Path) -> None:
    import json

    train = list(range(len(sim.conversations)))
    file = save_policy(train_policy(sim, train, [(20.0, 0.02)], plan_penalty=5.0), tmp_path / "p")
    with np.load(file) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
    meta["version"] = 99
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(tmp_path / "new.npz", meta=blob, **arrays)
    with pytest.raises(TandemError, match="not readable"):
        load_policy(tmp_path / "new.npz")


def test_policy_decision_depends_on_the_budget_left(sim: Simulator) -> None:
    train = list(range(len(sim.conversations)))
    policy = train_policy(sim, train, [(20.0, 0.02)], plan_penalty=10.0)
    rng = np.random.default_rng(0)
    emb = sim.embeddings[0]
    rich = Observation(0, 0, emb, "Query", (0.2, 0.2, 0.2), 200.0, 1.0, 200.0, 1.0)
    poor = Observation(0, 0, emb, "Query", (0.2, 0.2, 0.2), 200.0, 0.0003, 200.0, 1.0)
    assert policy(rich, rng) != policy(poor, rng)
    assert policy.predictor.predict(emb)[policy(poor, rng), 2] <= 0.0003


@pytest.mark.parametrize("lat_left", [3.0, 4.5, 6.0, 7.5, 100.0])
def test_shield_keeps_a_planned_policy_within_what_is_left(sim: Simulator, lat_left: float) -> None:
    train = list(range(len(sim.conversations)))
    policy = train_policy(
        sim, train, [(20.0, 0.02)], plan_penalty=0.0
    )  # the plan alone ignores risk
    rng = np.random.default_rng(0)
    for row, emb in enumerate(sim.embeddings):
        obs = Observation(0, 4, emb, "Query", (0.2, 0.2, 0.2), lat_left, 0.006, 30.0, 0.05)
        pred = policy.predictor.predict(emb)
        fits = (pred[:, 1] <= lat_left) & ((pred[:, 2] <= 0.006) | (np.arange(len(pred)) == 0))
        a = policy(obs, rng)
        if fits.any():
            assert fits[a], f"row {row}: chose {a} though {np.nonzero(fits)[0]} fit"


def test_bad_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TandemError, match="does not exist"):
        load_policy(tmp_path / "none.npz")


def test_greedy_takes_the_best_predicted_action_that_fits(sim: Simulator) -> None:
    act = greedy(Predictor(sim, range(len(sim.conversations))))
    rng = np.random.default_rng(0)
    assert act(_obs(lat=100.0, usd=1.0), rng) != 0  # cloud scores higher than local here
    assert act(_obs(lat=100.0, usd=0.0002), rng) == 0  # only local is affordable


def test_prompt_policy_follows_the_models_answer() -> None:
    decisions = {question_key("hard?"): True, question_key("easy"): False}
    costs = [0.0001, 0.0005] + [0.0045] * 3 + [0.009] * 3 + [0.0135]
    act = prompt_policy(decisions, costs)
    rng = np.random.default_rng(0)
    hard = Observation(0, 0, np.zeros(384), "Query", (0.1, 0.5, 0.2), 30, 0.05, 30, 0.05, "hard?")
    assert act(hard, rng) == 3  # cloud with view 1, the most relevant
    easy = Observation(0, 0, np.zeros(384), "Query", (0.1, 0.5, 0.2), 30, 0.05, 30, 0.05, "easy")
    assert act(easy, rng) == 0
    poor = Observation(0, 0, np.zeros(384), "Query", (0.1, 0.5, 0.2), 30, 0.001, 30, 0.05, "hard?")
    assert act(poor, rng) == 1  # no money for a view: text only


@pytest.mark.parametrize(
    ("text", "yes"), [(" Yes.", True), ("no", False), ('"yes', True), ("", False)]
)
def test_parse_yes(text: str, yes: bool) -> None:
    assert parse_yes(text) is yes


def test_prompt_decisions_ask_a_real_local_model_once(tiny_gguf: Path, tmp_path: Path) -> None:
    from router.endpoints.llama_cpp import LlamaCppEndpoint
    from router.learn.baselines import prompt_decisions

    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    cache = tmp_path / "decisions.json"
    questions = ["Is anyone home?", "Play music.", "Is anyone home?"]
    first = prompt_decisions(questions, endpoint, cache)
    assert set(first) == {question_key("Is anyone home?"), question_key("Play music.")}
    # cached: a second call asks nothing (an endpoint that would fail proves it)
    again = prompt_decisions(questions, object(), cache)  # type: ignore[arg-type]
    assert again == first
