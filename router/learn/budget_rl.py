"""A budget-aware routing policy for M4A1, trained by actor-critic policy gradient (numpy).

The policy is a conditional-logit model. For each action `a` it combines
(1) the predicted outcome of `a` for this question (score, latency, cost from
`Predictor`), relative to what is left of each budget, with shared weights, and
optionally (2) a per-action weight vector over the turn's state (budget left,
turn number, task, view relevance). With `budget_state=False` the budget terms
are replaced by absolute latency and cost, which gives the "RL without budget
state" baseline. The budget-aware policy also
masks actions whose predicted cost or latency exceeds what is left (`shield`).

Training samples a conversation and a budget from a grid, plays the episode
with the stochastic policy, and follows REINFORCE with a learned linear value
baseline (advantage actor-critic with Monte-Carlo returns). The reward is the
turn's score, minus `penalty` (+ the relative overshoot) once at the end of a
conversation that went over budget.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.learn.budget_env import Observation, Predictor, task_onehot
from router.learn.m4a1 import ACTIONS, Simulator

Array = npt.NDArray[np.float64]
POLICY_FORMAT = "tandem.learn.budget-policy"
POLICY_VERSION = 1
N_ACTIONS = len(ACTIONS)
N_PAIR = 8
EXPECTED_TURNS_LEFT = (3.5, 2.9, 2.3, 1.7, 1.0)
"""E[turns left, this one included | turn i], i = 0..4, from M4A1's mix of 2-5 turn talks."""
N_STATE = 11
DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "assets" / "budget_policy_default.npz"


def pair_features(pred: Array, obs: Observation, budget_state: bool) -> Array:
    """(actions, N_PAIR): each action's predicted outcome, relative to the budget left."""
    score, lat, usd = pred[:, 0], pred[:, 1], pred[:, 2]
    out = np.zeros((len(pred), N_PAIR))
    out[:, 0] = score
    if not budget_state:
        out[:, 1] = lat / 10.0
        out[:, 2] = usd * 100.0
    else:
        # Only costs relative to the budget left: a loose budget then costs nothing
        # (with absolute terms too, held-out scores were lower at 35 s and 60 s budgets).
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


MAX_TURNS = 5


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

    def logits(self, obs: Observation, exclude: int | None = None) -> tuple[Array, Array, Array]:
        """Masked logits, pair features and state features of one observation."""
        pred = self.predictor.predict(obs.embedding, exclude)
        pair = pair_features(pred, obs, self.budget_state)
        state = state_features(obs, self.budget_state)
        z = pair @ self.w_pair + self.w_state @ state
        if self.mask_cost:
            z = shield(pred, obs, z, self.reserve_s, self.reserve_usd, self.caution)
        return z, pair, state

    def __call__(self, obs: Observation, rng: np.random.Generator) -> int:
        """The most likely action (evaluation is deterministic)."""
        z, _, _ = self.logits(obs)
        return int(np.argmax(z))


def _softmax(z: Array) -> Array:
    e = np.exp(z - np.max(z))
    return np.asarray(e / e.sum(), dtype=np.float64)


def train_policy(
    sim: Simulator,
    train: Sequence[int],
    budgets: Sequence[tuple[float, float]],
    *,
    budget_state: bool = True,
    episodes: int = 6000,
    penalty: float = 10.0,
    lr: float = 0.05,
    seed: int = 0,
    predictor: Predictor | None = None,
    reserve_s: float = 0.0,
    init_score_weight: float = 5.0,
    state_terms: bool = False,
) -> BudgetPolicy:
    """Fit a policy on the `train` conversations under budgets drawn from `budgets`.

    Without budget state the penalty is off too: that baseline maximises score alone.
    `state_terms` also learns the per-action weights over the turn state; off by
    default, as on M4A1 (80 training conversations) they overfit: with them the
    held-out score at the default budgets was lower (1.08 against 1.17-1.22).
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    predictor = predictor or Predictor(sim, train)
    policy = BudgetPolicy(
        predictor, budget_state=budget_state, mask_cost=budget_state, reserve_s=reserve_s
    )
    # Start from "prefer the best predicted score"; RL then learns what budgets cost.
    policy.w_pair[0] = init_score_weight
    value = np.zeros(6)
    cache: dict[int, Array] = {}
    for _ in range(episodes):
        c = int(train[int(rng.integers(len(train)))])
        lat_b, usd_b = budgets[int(rng.integers(len(budgets)))]
        conv, outcomes, start = sim.conversations[c], sim.outcomes(c), sim.offsets[c]
        lat = usd = 0.0
        steps: list[tuple[Array, Array, Array, int, Array, float]] = []
        for i, turn in enumerate(conv.turns):
            obs = Observation(
                c, i, sim.embeddings[start + i], turn.task, turn.association,
                lat_b - lat, usd_b - usd, lat_b, usd_b,
            )  # fmt: skip
            row = start + i
            if row not in cache:  # leave-one-out predictions are fixed per turn
                cache[row] = predictor.predict(obs.embedding, exclude=row)
            pred = cache[row]
            pair = pair_features(pred, obs, budget_state)
            state = state_features(obs, budget_state)
            z = pair @ policy.w_pair + policy.w_state @ state
            if policy.mask_cost:
                z = shield(pred, obs, z, reserve_s)
            probs = _softmax(z)
            a = int(rng.choice(N_ACTIONS, p=probs))
            score, dl, du = outcomes[i, a]
            lat += float(dl)
            usd += float(du)
            v_in = np.array([1.0, obs.latency_left_s / lat_b, obs.cost_left_usd / usd_b,
                             i / 4.0, lat_b / 30.0, usd_b / 0.05]) if budget_state else (
                np.array([1.0, 0, 0, i / 4.0, 0, 0]))  # fmt: skip
            steps.append((pair, state, probs, a, v_in, float(score)))
        rewards = [s[5] for s in steps]
        if budget_state and (lat > lat_b or usd > usd_b):
            over = max(lat - lat_b, 0.0) / lat_b + max(usd - usd_b, 0.0) / usd_b
            rewards[-1] -= penalty + over
        returns = np.cumsum(rewards[::-1])[::-1]
        for (pair, state, probs, a, v_in, _), ret in zip(steps, returns, strict=True):
            adv = ret - float(value @ v_in)
            value += 0.02 * adv * v_in
            grad_z = -probs
            grad_z[a] += 1.0
            grad_z = np.where(np.isfinite(grad_z), grad_z, 0.0)
            policy.w_pair += lr * adv * (grad_z @ pair)
            if state_terms:
                policy.w_state += lr * adv * np.outer(grad_z, state)
    policy.meta = {
        "budget_state": budget_state,
        "episodes": episodes,
        "penalty": penalty,
        "reserve_s": reserve_s,
        "train_budgets": [list(b) for b in budgets],
        "train_conversations": len(train),
        "train_seconds": round(time.perf_counter() - started, 2),
    }
    return policy


def tune_shield(
    policy: BudgetPolicy,
    sim: Simulator,
    train: Sequence[int],
    budgets: Sequence[tuple[float, float]],
    *,
    max_over: float = 0.01,
    reserves_s: Sequence[float] = (6.0, 7.0, 8.0),
    reserves_usd: Sequence[float] = (0.0, 0.003),
    cautions: Sequence[float] = (0.0, 1.0),
    worst_case: bool = False,
) -> dict[str, float]:
    """Pick the shield's reserves on the training conversations (weights stay fixed).

    The best mean score among settings whose over-budget rate, averaged over
    `budgets` (or at its worst budget, with `worst_case`), is at most
    `max_over`; the lowest rate if none is.
    """
    from router.learn.budget_env import evaluate

    best: tuple[bool, float] | None = None
    chosen = (policy.reserve_s, policy.reserve_usd, policy.caution)
    for setting in itertools.product(reserves_s, reserves_usd, cautions):
        policy.reserve_s, policy.reserve_usd, policy.caution = setting
        rows = [evaluate(sim, train, policy, lat, usd) for lat, usd in budgets]
        rates = [r["over_budget_rate"] for r in rows]
        over = float(np.max(rates) if worst_case else np.mean(rates))
        score = float(np.mean([r["score"] for r in rows]))
        key = (over <= max_over, score if over <= max_over else -over)
        if best is None or key > best:
            best, chosen = key, setting
    policy.reserve_s, policy.reserve_usd, policy.caution = chosen
    policy.meta.update(reserve_s=chosen[0], reserve_usd=chosen[1], caution=chosen[2])
    return {"reserve_s": chosen[0], "reserve_usd": chosen[1], "caution": chosen[2]}


def save_policy(policy: BudgetPolicy, path: str | Path) -> Path:
    """Write a `tandem.learn.budget-policy` .npz (weights plus the predictor's memory)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(
        policy.meta,
        format=POLICY_FORMAT,
        version=POLICY_VERSION,
        budget_state=policy.budget_state,
        mask_cost=policy.mask_cost,
        reserve_s=policy.reserve_s,
        reserve_usd=policy.reserve_usd,
        caution=policy.caution,
        k=policy.predictor.k,
        actions=[f"{r}:{','.join(map(str, v))}" for r, v in ACTIONS],
    )
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with file.open("wb") as handle:
        np.savez_compressed(
            handle,
            meta=blob,
            w_pair=policy.w_pair,
            w_state=policy.w_state,
            memory=policy.predictor.memory.astype(np.float16),
            values=policy.predictor.values.astype(np.float32),
        )
    return file


class _StoredPredictor(Predictor):
    """A predictor rebuilt from an artifact's memory (no simulator needed)."""

    def __init__(self, memory: Array, values: Array, k: int) -> None:
        self.rows = np.full(len(memory), -1, dtype=np.int64)
        self.memory = memory
        self.values = values
        self.k = min(k, len(memory))
        self.action_cost = values[:, :, 2].mean(axis=0)


def load_policy(path: str | Path | None = None) -> BudgetPolicy:
    """Read a budget policy artifact (default: the shipped one); `TandemError` if bad."""
    file = Path(path).expanduser() if path else DEFAULT_POLICY
    hint = "train one with `tandem router report`, or use `--policy default`"
    try:
        with np.load(file, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            arrays = {k: data[k].astype(np.float64) for k in data.files if k != "meta"}
        if meta.get("format") != POLICY_FORMAT or meta.get("version") != POLICY_VERSION:
            raise ValueError(f"not {POLICY_FORMAT} version {POLICY_VERSION}")
        predictor = _StoredPredictor(arrays["memory"], arrays["values"], int(meta["k"]))
        return BudgetPolicy(
            predictor,
            budget_state=bool(meta["budget_state"]),
            mask_cost=bool(meta["mask_cost"]),
            reserve_s=float(meta.get("reserve_s", 0.0)),
            reserve_usd=float(meta.get("reserve_usd", 0.0)),
            caution=float(meta.get("caution", 0.0)),
            w_pair=arrays["w_pair"],
            w_state=arrays["w_state"],
            meta=meta,
        )
    except FileNotFoundError as exc:
        raise TandemError(f"budget policy {file} does not exist", hint) from exc
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise TandemError(f"budget policy {file} is not readable ({exc})", hint) from exc
