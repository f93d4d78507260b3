import json
from pathlib import Path

import numpy as np
import pytest

from router.learn.budget_env import Observation, Predictor, evaluate, run_episode
from router.learn.m4a1 import ACTIONS, Simulator, action_name, load_m4a1, to_profile
from tests.router.learn.synthetic import write_m4a1
from tests.support.missing import missing

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "m4a1" / "M4A1.json"


def _embeddings(conversations: list, dim: int = 384) -> np.ndarray:
    """One fixed unit vector per distinct question (the same question, the same vector)."""
    rng = np.random.default_rng(0)
    table: dict[str, np.ndarray] = {}
    rows = []
    for c in conversations:
        for t in c.turns:
            if t.question not in table:
                v = rng.normal(size=dim)
                table[t.question] = v / np.linalg.norm(v)
            rows.append(table[t.question])
    return np.array(rows)


@pytest.fixture
def sim(tmp_path: Path) -> Simulator:
    conversations = load_m4a1(write_m4a1(tmp_path / "m.json"))
    return Simulator(conversations, _embeddings(conversations), k=2, min_pool=1)


def test_loader_reads_actions_and_views(tmp_path: Path) -> None:
    conversations = load_m4a1(write_m4a1(tmp_path / "m.json"))
    assert len(conversations) == 12
    first = conversations[0].turns
    assert [action_name(t.action) for t in first] == ["local", "cloud"]
    assert action_name(conversations[0].turns[0].action) == "local"
    assert {action_name(t.action) for c in conversations for t in c.turns} == {
        "local", "cloud", "cloud+v0", "cloud+v1v2",
    }  # fmt: skip


def test_loader_names_a_malformed_conversation(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": 7, "interactions": [{"question": "q"}]}]))
    with pytest.raises(ValueError, match="conversation 7"):
        load_m4a1(path)


def test_profile_conversion_keeps_turns_in_order(tmp_path: Path) -> None:
    records = to_profile(load_m4a1(write_m4a1(tmp_path / "m.json")))
    assert records[0].conversation == "m4a1-0" and records[0].turn == 0
    assert records[1].turn == 1
    assert all(0.0 <= o.quality <= 1.0 for r in records for o in r.endpoints.values())


def test_logged_actions_keep_their_outcome(sim: Simulator) -> None:
    for row, turn in enumerate(sim.turns):
        assert sim.table[row, turn.action, 1] == pytest.approx(turn.latency_s)
        assert sim.table[row, turn.action, 2] == pytest.approx(turn.cost_usd)


def test_unseen_actions_come_from_neighbours_that_took_them(sim: Simulator) -> None:
    logged_latency = {0: 8.0, 1: 4.0, 2: 5.0}
    for row in range(len(sim.turns)):
        for action, latency in logged_latency.items():
            assert sim.table[row, action, 1] == pytest.approx(latency)
    assert sim.table.shape == (len(sim.turns), len(ACTIONS), 3)


def test_cost_comes_from_the_same_view_set_when_scores_borrow(tmp_path: Path) -> None:
    conversations = load_m4a1(write_m4a1(tmp_path / "m.json"))
    # min_pool above every pool: score and latency borrow from wider view sets
    sim = Simulator(conversations, _embeddings(conversations), k=3, min_pool=1000)
    v0, v1v2 = 2, 7  # the synthetic file logs these view sets at $0.0045 and $0.009
    assert np.allclose(sim.table[:, v0, 2], 0.0045) and np.allclose(sim.table[:, v1v2, 2], 0.009)
    # latency did borrow: some turns mix 5 s (v0) and 6 s (v1v2) neighbours
    assert not np.allclose(sim.table[:, v0, 1], 5.0)


def test_episode_accounts_latency_cost_and_budget(sim: Simulator) -> None:
    rng = np.random.default_rng(0)
    seen: list[Observation] = []

    def cloud(obs: Observation, _: np.random.Generator) -> int:
        seen.append(obs)
        return 1

    ep = run_episode(sim, 0, cloud, latency_budget_s=6.0, cost_budget_usd=1.0, rng=rng)
    outcomes = sim.outcomes(0)
    assert ep.latency_s == pytest.approx(outcomes[:, 1, 1].sum())
    assert ep.cost_usd == pytest.approx(outcomes[:, 1, 2].sum())
    assert ep.over_budget  # two 4 s cloud turns exceed 6 s
    assert seen[1].latency_left_s == pytest.approx(6.0 - outcomes[0, 1, 1])
    assert seen[1].cost_left_usd == pytest.approx(1.0 - outcomes[0, 1, 2])
    roomy = run_episode(sim, 0, cloud, latency_budget_s=60.0, cost_budget_usd=1.0, rng=rng)
    assert not roomy.over_budget


def test_evaluate_reports_means_per_conversation(sim: Simulator) -> None:
    result = evaluate(sim, range(len(sim.conversations)), lambda o, r: 0, 100.0, 1.0)
    assert result["n"] == len(sim.conversations)
    assert result["over_budget_rate"] == 0.0
    assert result["cloud_share"] == 0.0
    totals = [sim.outcomes(c)[:, 0, 1].sum() for c in range(len(sim.conversations))]
    assert result["latency_s"] == pytest.approx(np.mean(totals))


def test_predictor_leaves_the_turn_itself_out(sim: Simulator) -> None:
    # conversation 0 has two turns with different questions; with k=1 the nearest
    # turn to turn 0 is itself, unless it is excluded.
    predictor = Predictor(sim, [0], k=1)
    with_self = predictor.predict(sim.embeddings[0])
    without = predictor.predict(sim.embeddings[0], exclude=0)
    assert with_self.shape == without.shape == (len(ACTIONS), 4)
    np.testing.assert_allclose(with_self[:, :3], sim.table[0])
    np.testing.assert_allclose(without[:, :3], sim.table[1])


def test_public_m4a1_file_loads() -> None:
    if not SHARED.exists():
        missing("../shared/data/m4a1/M4A1.json is not present")
    conversations = load_m4a1(SHARED)
    assert len(conversations) == 100
    assert sum(len(c.turns) for c in conversations) == 352
