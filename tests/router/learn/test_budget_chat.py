"""The chat's `budget` policy object, played in the M4A1 simulator."""

from pathlib import Path

import numpy as np
import pytest

from router.learn.budget_chat import VIEW_NAMES, chat_budget_player
from router.learn.budget_env import Observation, evaluate, run_episode
from router.learn.m4a1 import Simulator, load_m4a1
from router.policy import budget as chat_budget
from router.policy.estimate import EXPECTED_OUTPUT_TOKENS
from router.policy.factory import policy_for
from router.policy.settings import RoutingSettings
from router.tokens import estimate_tokens
from tests.router.learn.synthetic import write_m4a1
from tests.router.learn.test_m4a1 import _embeddings


@pytest.fixture
def sim(tmp_path: Path) -> Simulator:
    conversations = load_m4a1(write_m4a1(tmp_path / "m.json", conversations=12))
    return Simulator(conversations, _embeddings(conversations), k=2, min_pool=1)


def test_the_sim_plays_the_chats_own_policy_class(sim: Simulator) -> None:
    player = chat_budget_player(sim, 30.0, 0.05)
    # The very class the chat's factory builds for `[routing] policy = "budget"`.
    chat_policy = policy_for("budget", RoutingSettings(policy="budget"))
    assert type(player.policy) is chat_budget.BudgetPolicy
    assert type(player.policy) is type(chat_policy)
    result = evaluate(sim, range(len(sim.conversations)), player, 30.0, 0.05)
    assert result["n"] == len(sim.conversations)
    turns = sum(len(c.turns) for c in sim.conversations)
    assert len(player.decisions) == turns
    assert {d.policy for d in player.decisions} == {"budget"}
    assert all("left in this conversation" in d.reason for d in player.decisions)


def test_too_little_money_for_the_cloud_keeps_every_turn_on_the_device(sim: Simulator) -> None:
    player = chat_budget_player(sim, 60.0, 0.001)
    rng = np.random.default_rng(0)
    for c in range(len(sim.conversations)):
        episode = run_episode(sim, c, player, 60.0, 0.001, rng)
        assert set(episode.actions) == {0}


def test_fitted_prices_give_each_upload_its_simulated_cost(sim: Simulator) -> None:
    # The chat's own estimate, from the fitted prices and view sizes, for the cloud with no
    # view and with each single view, against the simulator's mean cost of that action.
    player = chat_budget_player(sim, 60.0, 1.0)
    mean_cost = sim.table[:, :, 2].mean(axis=0)
    questions = [t.question for t in sim.turns]
    tokens = float(np.mean([estimate_tokens(q) + 1 for q in questions]))
    feats = player.features(Observation(0, 0, sim.embeddings[0], "Query", (0.2,) * 3,
                                        60.0, 1.0, 60.0, 1.0))  # fmt: skip
    cloud = feats.endpoints["cloud"]
    views = {a.name: a.tokens for a in feats.attachments}
    text = tokens * cloud.price_in_per_token + EXPECTED_OUTPUT_TOKENS * cloud.price_out_per_token
    assert text == pytest.approx(mean_cost[1], rel=1e-6)
    for v, name in enumerate(VIEW_NAMES):
        estimate = text + views[name] * cloud.price_in_per_token
        assert estimate == pytest.approx(mean_cost[2 + v], rel=0.1)
