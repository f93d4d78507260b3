"""Budgeted episodes on the M4A1 simulator: observations, a per-action predictor, rollouts.

An episode is one conversation under a latency budget (seconds) and a cost
budget (USD) for the whole conversation. At each turn the policy sees the
question (embedding, task, view relevance), its turn number, and what is left
of both budgets, and picks one of the 9 actions. A conversation is over budget
when its total latency or total cost exceeds its budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from router.learn.m4a1 import ACTIONS, TASKS, Simulator

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Observation:
    """What a policy knows before choosing the action of one turn."""

    conversation: int
    turn: int
    embedding: Array
    task: str
    association: tuple[float, float, float]
    latency_left_s: float
    cost_left_usd: float
    latency_budget_s: float
    cost_budget_usd: float
    question: str = ""


Policy = Callable[[Observation, np.random.Generator], int]


class Predictor:
    """Expected (score, latency, cost) of each action for a question, from similar training turns.

    The mean of the simulator's outcomes over the `k` most similar training
    turns (leave-one-out for a training turn itself), so a policy never reads
    the simulated outcome of the turn it is deciding.
    """

    def __init__(self, sim: Simulator, train: Sequence[int], k: int = 10) -> None:
        """`train`: indices of the conversations the predictor may learn from."""
        rows = [sim.offsets[c] + t for c in train for t in range(len(sim.conversations[c].turns))]
        self.rows = np.array(rows, dtype=np.int64)
        self.memory = sim.embeddings[self.rows]
        self.values = sim.table[self.rows]
        self.k = k
        self.action_cost = self.values[:, :, 2].mean(axis=0)

    def neighbours(self, embedding: Array, exclude: int | None = None) -> Array:
        """(k, actions, 3): the simulated outcomes of the `k` most similar training turns."""
        sims = self.memory @ embedding
        if exclude is not None:
            sims = np.where(self.rows == exclude, -np.inf, sims)
        near = np.argpartition(-sims, self.k - 1)[: self.k]
        return np.asarray(self.values[near], dtype=np.float64)

    def predict(self, embedding: Array, exclude: int | None = None) -> Array:
        """(actions, 4): expected score, latency, cost, and the latency's spread (std).

        `exclude` drops that simulator row (leave-one-out).
        """
        values = self.neighbours(embedding, exclude)
        spread = values[:, :, 1].std(axis=0)[:, None]
        return np.concatenate([values.mean(axis=0), spread], axis=1).astype(np.float64)


@dataclass(frozen=True)
class Episode:
    """One conversation's result under a policy."""

    score: float
    latency_s: float
    cost_usd: float
    over_budget: bool
    actions: tuple[int, ...]


def run_episode(
    sim: Simulator,
    conversation: int,
    policy: Policy,
    latency_budget_s: float,
    cost_budget_usd: float,
    rng: np.random.Generator,
) -> Episode:
    """Play one conversation: mean turn score, total latency and cost, and the budget verdict."""
    conv = sim.conversations[conversation]
    outcomes = sim.outcomes(conversation)
    start = sim.offsets[conversation]
    latency = cost = 0.0
    scores: list[float] = []
    actions: list[int] = []
    for i, turn in enumerate(conv.turns):
        obs = Observation(
            conversation=conversation,
            turn=i,
            embedding=sim.embeddings[start + i],
            task=turn.task,
            association=turn.association,
            latency_left_s=latency_budget_s - latency,
            cost_left_usd=cost_budget_usd - cost,
            latency_budget_s=latency_budget_s,
            cost_budget_usd=cost_budget_usd,
            question=turn.question,
        )
        a = policy(obs, rng)
        score, lat, usd = outcomes[i, a]
        scores.append(float(score))
        latency += float(lat)
        cost += float(usd)
        actions.append(a)
    over = latency > latency_budget_s + 1e-9 or cost > cost_budget_usd + 1e-12
    return Episode(float(np.mean(scores)), latency, cost, over, tuple(actions))


def evaluate(
    sim: Simulator,
    conversations: Sequence[int],
    policy: Policy,
    latency_budget_s: float,
    cost_budget_usd: float,
    seed: int = 0,
) -> dict[str, float]:
    """Means per conversation: score, latency_s, cost_usd, over_budget_rate, cloud_share; n."""
    rng = np.random.default_rng(seed)
    eps = [
        run_episode(sim, c, policy, latency_budget_s, cost_budget_usd, rng) for c in conversations
    ]
    actions = [a for e in eps for a in e.actions]
    return {
        "score": float(np.mean([e.score for e in eps])),
        "latency_s": float(np.mean([e.latency_s for e in eps])),
        "cost_usd": float(np.mean([e.cost_usd for e in eps])),
        "over_budget_rate": float(np.mean([e.over_budget for e in eps])),
        "cloud_share": float(np.mean([a > 0 for a in actions])),
        "views_per_turn": float(np.mean([len(ACTIONS[a][1]) for a in actions])),
        "n": len(eps),
    }


def task_onehot(task: str) -> list[float]:
    """The M4A1 task category as a one-hot over `TASKS` (all zero if unknown)."""
    return [float(task == t) for t in TASKS]
