"""The budget-aware M4A1 routing policy: a conditional-logit model over the 9 actions.

For each action `a` the logits combine (1) the predicted outcome of `a` for this
question (score, latency, cost from `Predictor`), relative to what is left of
each budget, with shared weights `w_pair`; optionally (2) a per-action weight
vector over the turn's state (budget left, turn number, task, view relevance);
and, for version-2 policies, (3) `plan_scale` times the action's planned value
from `budget_plan`'s value tables. With `budget_state=False` the budget terms
are replaced by absolute latency and cost: the "RL without budget state"
baseline. The budget-aware policy also masks actions whose predicted cost or
latency exceeds what is left (`shield`). Training lives in `budget_rl`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from router.learn.budget_env import Observation, Predictor, task_onehot
from router.learn.m4a1 import ACTIONS
from router.policy.budget_planner import (
    DEFAULT_PLANNER,
    EXPECTED_TURNS_LEFT,
    MAX_TURNS,
    PLAN_SCALE,
    ValueTables,
)

Array = npt.NDArray[np.float64]
N_ACTIONS = len(ACTIONS)
N_PAIR = 8
N_STATE = 11
DEFAULT_POLICY = DEFAULT_PLANNER


def pair_features(pred: Array, obs: Observation, budget_state: bool) -> Array:
    """(actions, N_PAIR): each action's predicted outcome, relative to the budget left."""
    score, lat, usd = pred[:, 0], pred[:, 1], pred[:, 2]
    out = np.zeros((len(pred), N_PAIR))
    out[:, 0] = score
    if not budget_state:
        out[:, 1] = lat / 10.0
        out[:, 2] = usd * 100.0
    else:
        # Only costs relative to the budget left: a loose budget then costs nothing.
        lat_left = max(obs.latency_left_s, 0.0)
        usd_left = max(obs.cost_left_usd, 0.0)
        out[:, 3] = np.minimum(lat / max(lat_left, 1.0), 3.0)
        out[:, 4] = np.minimum(usd / max(usd_left, 1e-4), 3.0)
        out[:, 5] = (lat > lat_left).astype(np.float64)
        out[:, 6] = (obs.turn / 4.0) * lat / 10.0
        # Pace: this action's latency against an even share of what is left per turn.
        turns_left = EXPECTED_TURNS_LEFT[min(obs.turn, len(EXPECTED_TURNS_LEFT) - 1)]
        out[:, 7] = np.minimum(lat * turns_left / max(lat_left, 1.0), 5.0)
    return out


def shield(
    pred: Array,
    obs: Observation,
    z: Array,
    reserve_s: float = 0.0,
    reserve_usd: float = 0.0,
    caution: float = 0.0,
) -> Array:
    """Mask actions whose predicted cost or latency, plus a reserve, exceeds what is left.

    The conversation's length is unknown, so `reserve_s` seconds and
    `reserve_usd` dollars are kept for each turn that may still follow (up to
    `MAX_TURNS`). An action's latency counts as its mean plus `caution` times
    its spread among similar turns (`pred[:, 3]`, when present). Local is
    never masked for money; if no action fits the time, only the fastest
    affordable one remains.
    """
    future = max(0, MAX_TURNS - 1 - obs.turn)
    dear = pred[:, 2] > max(obs.cost_left_usd - future * reserve_usd, 0.0)
    dear[0] = False
    latency = pred[:, 1] + (caution * pred[:, 3] if pred.shape[1] > 3 else 0.0)
    slow = latency > obs.latency_left_s - future * reserve_s
    allowed = ~dear & ~slow
    if not allowed.any():
        allowed = np.zeros(len(z), dtype=bool)
        allowed[int(np.argmin(np.where(dear, np.inf, latency)))] = True
    return np.where(allowed, z, -np.inf)


def state_features(obs: Observation, budget_state: bool) -> Array:
    """(N_STATE,) turn state: bias, budget left, turn number, task, view relevance."""
    lat = obs.latency_left_s / obs.latency_budget_s if budget_state else 0.0
    usd = obs.cost_left_usd / obs.cost_budget_usd if budget_state else 0.0
    assoc = [5.0 * (a - 0.2) for a in obs.association]  # relevance sits near 0.2 +- 0.05
    return np.array([1.0, lat, usd, obs.turn / 4.0, *task_onehot(obs.task), *assoc])


@dataclass
class BudgetPolicy:
    """Conditional-logit policy over the 9 M4A1 actions (see the module docstring)."""

    predictor: Predictor
    budget_state: bool = True
    mask_cost: bool = True
    reserve_s: float = 0.0
    reserve_usd: float = 0.0
    caution: float = 0.0
    w_pair: Array = field(default_factory=lambda: np.zeros(N_PAIR))
    w_state: Array = field(default_factory=lambda: np.zeros((N_ACTIONS, N_STATE)))
    meta: dict[str, Any] = field(default_factory=dict)
    plan: ValueTables | None = None
    plan_scale: float = PLAN_SCALE

    def planned(self, obs: Observation, exclude: int | None = None) -> tuple[Array, Array]:
        """The predictor's (actions, 4) prediction and the plan's term of the logits (or 0)."""
        near = self.predictor.neighbours(obs.embedding, exclude)
        spread = near[:, :, 1].std(axis=0)[:, None]
        pred = np.concatenate([near.mean(axis=0), spread], axis=1)
        if self.plan is None or not self.budget_state:
            return pred, np.zeros(N_ACTIONS)
        q = self.plan.q_values(obs.turn, obs.latency_left_s, obs.cost_left_usd, pred)
        return pred, self.plan_scale * q

    def logits(self, obs: Observation, exclude: int | None = None) -> tuple[Array, Array, Array]:
        """Masked logits, pair features and state features of one observation."""
        pred, base = self.planned(obs, exclude)
        pair = pair_features(pred, obs, self.budget_state)
        state = state_features(obs, self.budget_state)
        z = base + pair @ self.w_pair + self.w_state @ state
        if self.mask_cost:
            z = shield(pred, obs, z, self.reserve_s, self.reserve_usd, self.caution)
        return z, pair, state

    def __call__(self, obs: Observation, rng: np.random.Generator) -> int:
        """The most likely action (evaluation is deterministic)."""
        z, _, _ = self.logits(obs)
        return int(np.argmax(z))
