"""Model-based planning for budgeted M4A1 routing: value iteration over the learned simulator.

The state of a conversation at turn `i` is what is left of the latency and
cost budgets, `(L, C)`, on a grid. The conversation's length is unknown; the
training conversations give `P(another turn | turn i)` and `E[1/n | n > i]`
(a turn's share of the conversation's mean score). A future turn is one of the
training turns at that position, drawn at random, whose question the policy
will see before choosing.

For each turn `i`, from the last to the first, the planner computes
`U_i(L, C)`: the expected value of being left with `(L, C)` after turn `i`:
`P(another turn) * V_{i+1}(L, C)`, or `-penalty` when a budget is already
exceeded. `V_i` averages, over sample turns, the value of the action the
policy would pick there (best `E[1/n] * predicted score + E[U_i(L - l, C - c)]`
with `l, c` drawn from the question's nearest training turns, as at run
time), scored with that turn's simulated outcome. The budgets themselves never
enter: one set of tables serves every budget, seen in training or not.

Grid cells floor the budget left and round latency and cost up, so the tables
never make a state look richer than it is. Budgets beyond the grid count as
its largest value, which for M4A1 (at most 5 turns of at most ~$0.014) never
binds on cost; latency above `LAT_MAX` is treated as `LAT_MAX`.

The tables and their use at run time (`ValueTables`, `predictive`) live in
router/policy/budget_planner.py, which the chat's `budget` policy loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from router.learn.budget_env import Predictor
from router.learn.m4a1 import Simulator
from router.policy.budget_planner import (
    COST_MAX,
    COST_STEP,
    LAT_MAX,
    LAT_STEP,
    MAX_TURNS,
    RESIDUALS,
    ValueTables,
    grid_steps,
    predictive,
)

Array = npt.NDArray[np.float64]
Grid = npt.NDArray[np.float32]
Steps = npt.NDArray[np.int64]
PENALTIES = (8.0, 20.0)
"""Penalties (in units of a conversation's mean score) that `tune_penalty` tries."""
MARGINS_S = (0.0, 1.5)
"""Extra seconds per turn on predicted latencies that `tune_penalty` tries."""


@dataclass(frozen=True)
class LengthModel:
    """How long conversations run, from the training conversations.

    `carry_on[i]`: P(turn i+1 exists | turn i exists); `weight[i]`: E[1/n | n > i],
    the expected share of turn i in its conversation's mean score.
    """

    carry_on: Array
    weight: Array

    @classmethod
    def fit(cls, lengths: Sequence[int]) -> LengthModel:
        """From the number of turns of each training conversation (1..MAX_TURNS)."""
        n = np.clip(np.asarray(lengths, dtype=np.float64), 1, MAX_TURNS)
        carry, weight = np.zeros(MAX_TURNS), np.zeros(MAX_TURNS)
        for i in range(MAX_TURNS):
            alive = n[n > i]
            if len(alive):
                carry[i] = float(np.mean(alive > i + 1))
                weight[i] = float(np.mean(1.0 / alive))
        return cls(carry, weight)


@dataclass(frozen=True)
class SampleTurns:
    """Training turns standing in for future turns, at each turn position.

    `residuals`: (actions, RESIDUALS, 2) quantiles of the held-out error (truth
    minus the neighbours' mean) of each action's latency and cost: with the
    mean it makes the predictive distribution (`predictive`).
    `beliefs[i]`: (q, k, actions, 3) outcomes of each sample's nearest training
    turns from other conversations (what the policy would predict there);
    `truth[i]`: (q, actions, 3) the sample's own simulated outcomes.
    """

    beliefs: tuple[Array, ...]
    truth: tuple[Array, ...]
    residuals: Array


def sub_simulator(sim: Simulator, keep: Sequence[int]) -> Simulator:
    """A simulator of the `keep` conversations alone (their outcomes imputed among themselves)."""
    rows = [sim.offsets[c] + t for c in keep for t in range(len(sim.conversations[c].turns))]
    return Simulator(
        [sim.conversations[c] for c in keep],
        sim.embeddings[rows],
        k=sim.k,
        min_pool=sim.min_pool,
    )


def held_out_neighbours(
    sim: Simulator, train: Sequence[int], k: int = 10, groups: int = 8, seed: int = 0
) -> dict[int, Array]:
    """(k, actions, 3) beliefs of every turn of `train`, as a policy would hold them at test time.

    The conversations are split into `groups`; a group's turns get their
    neighbours from a simulator of the other groups only, so no belief
    contains an outcome imputed from the turn's own conversation (which
    would make the plan trust its predictions more than it may). Keys are
    rows of `sim`.
    """
    order = np.random.default_rng(seed).permutation(np.asarray(train, dtype=np.int64))
    out: dict[int, Array] = {}
    for g in range(min(groups, len(order))):
        held = [int(c) for c in order[g::groups]]
        rest = sorted(int(c) for c in order if int(c) not in set(held))
        if not rest:
            rest = held
        predictor = Predictor(sub_simulator(sim, rest), range(len(rest)), k=k)
        for c in held:
            for t in range(len(sim.conversations[c].turns)):
                row = sim.offsets[c] + t
                out[row] = predictor.neighbours(sim.embeddings[row])
    return out


def sample_turns(
    sim: Simulator,
    train: Sequence[int],
    k: int = 10,
    min_samples: int = 20,
    beliefs: dict[int, Array] | None = None,
) -> SampleTurns:
    """Each training turn with its held-out beliefs (`held_out_neighbours`) and its outcomes.

    A position with fewer than `min_samples` turns also draws from later ones.
    """
    beliefs = beliefs if beliefs is not None else held_out_neighbours(sim, train, k=k)
    rows, pos = [], []
    for c in train:
        for t in range(len(sim.conversations[c].turns)):
            rows.append(sim.offsets[c] + t)
            pos.append(t)
    row_arr, pos_arr = np.array(rows), np.array(pos)
    by_position, truth = [], []
    for i in range(MAX_TURNS):
        pick = np.nonzero(pos_arr == i)[0]
        lower = i
        while len(pick) < min_samples and lower > 0:
            lower -= 1
            pick = np.nonzero(pos_arr >= lower)[0]
        by_position.append(np.stack([beliefs[int(r)] for r in row_arr[pick]]))
        truth.append(sim.table[row_arr[pick]])
    means = np.stack([beliefs[int(r)].mean(axis=0) for r in row_arr])
    errors = sim.table[row_arr][:, :, 1:3] - means[:, :, 1:3]
    levels = (np.arange(RESIDUALS) + 0.5) / RESIDUALS
    residuals = np.quantile(errors, levels, axis=0).transpose(1, 0, 2)
    return SampleTurns(tuple(by_position), tuple(truth), np.asarray(residuals, dtype=np.float64))


def _shifted_mean(padded: Grid, lat_steps: Steps, usd_steps: Steps, n_lat: int, n_usd: int) -> Grid:
    """Mean over samples of the table shifted down by each sample's (latency, cost) cells."""
    pad_lat = padded.shape[0] - n_lat
    pad_usd = padded.shape[1] - n_usd
    total = np.zeros((n_lat, n_usd), dtype=padded.dtype)
    for dl, dc in zip(np.minimum(lat_steps, pad_lat), np.minimum(usd_steps, pad_usd), strict=True):
        total += padded[pad_lat - dl : pad_lat - dl + n_lat, pad_usd - dc : pad_usd - dc + n_usd]
    return np.asarray(total / np.float32(len(lat_steps)), dtype=np.float32)


def solve(
    samples: SampleTurns, lengths: LengthModel, penalty: float, margin_s: float = 0.0
) -> ValueTables:
    """Backward induction over turn positions (see the module docstring)."""
    n_lat = round(LAT_MAX / LAT_STEP) + 1
    n_usd = round(COST_MAX / COST_STEP) + 1
    pad_lat, pad_usd = round(40.0 / LAT_STEP), round(0.02 / COST_STEP)
    after = np.zeros((MAX_TURNS, n_lat, n_usd), dtype=np.float32)
    value_next: Grid = np.zeros((n_lat, n_usd), dtype=np.float32)
    for i in reversed(range(MAX_TURNS)):
        after[i] = lengths.carry_on[i] * value_next
        padded = np.full((n_lat + pad_lat, n_usd + pad_usd), -penalty, dtype=np.float32)
        padded[pad_lat:, pad_usd:] = after[i]
        w = float(lengths.weight[i])
        beliefs, truth = samples.beliefs[i], samples.truth[i]
        value = np.zeros((n_lat, n_usd), dtype=np.float32)
        for q in range(len(truth)):
            belief = predictive(beliefs[q].mean(axis=0), samples.residuals, margin_s)
            lat_steps, usd_steps = (
                grid_steps(belief[:, :, 1], LAT_STEP),
                grid_steps(belief[:, :, 2], COST_STEP),
            )
            planned = np.stack(
                [
                    np.float32(w * float(belief[:, a, 0].mean()))
                    + _shifted_mean(padded, lat_steps[:, a], usd_steps[:, a], n_lat, n_usd)
                    for a in range(belief.shape[1])
                ]
            )
            choice = np.argmax(planned, axis=0)
            true_lat = grid_steps(truth[q, :, 1], LAT_STEP)
            true_usd = grid_steps(truth[q, :, 2], COST_STEP)
            for a in np.unique(choice):
                got = np.float32(w * float(truth[q, a, 0])) + _shifted_mean(
                    padded, true_lat[a : a + 1], true_usd[a : a + 1], n_lat, n_usd
                )
                value += np.where(choice == a, got, np.float32(0.0))
        value_next = np.asarray(value / np.float32(max(len(truth), 1)), dtype=np.float32)
    return ValueTables(
        after=after,
        weight=lengths.weight.copy(),
        penalty=float(penalty),
        residuals=samples.residuals,
        margin_s=margin_s,
    )


def build_plan(
    sim: Simulator,
    train: Sequence[int],
    penalty: float,
    k: int = 10,
    beliefs: dict[int, Array] | None = None,
    margin_s: float = 0.0,
) -> ValueTables:
    """Value tables from the `train` conversations of `sim` (see the module docstring)."""
    lengths = LengthModel.fit([len(sim.conversations[c].turns) for c in train])
    return solve(sample_turns(sim, train, k=k, beliefs=beliefs), lengths, penalty, margin_s)
