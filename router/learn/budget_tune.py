"""Choosing the plan's risk settings, and the hindsight bound on any policy's over-budget rate.

`tune_penalty` picks the plan's penalty and latency margin by cross-validation
inside the training conversations, mirroring the outer protocol (each inner
fold plans on a simulator of the other conversations only); `hindsight_over`
says which budgets no policy could always meet, so they are left out of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from router.learn.budget_env import Observation, Policy, Predictor, evaluate
from router.learn.budget_plan import (
    MARGINS_S,
    PENALTIES,
    LengthModel,
    sample_turns,
    solve,
    sub_simulator,
)
from router.learn.m4a1 import Simulator
from router.policy.budget_planner import ValueTables


def plan_policy(predictor: Predictor, plan: ValueTables) -> Policy:
    """Pick the action of best planned value; the tables alone, no learned residual."""

    def act(obs: Observation, rng: np.random.Generator) -> int:
        mean = predictor.neighbours(obs.embedding).mean(axis=0)
        q = plan.q_values(obs.turn, obs.latency_left_s, obs.cost_left_usd, mean)
        return int(np.argmax(q))

    return act


def hindsight_over(sim: Simulator, conversations: Sequence[int], lat: float, usd: float) -> float:
    """Share of conversations that no sequence of actions keeps within both budgets.

    Computed with hindsight (every outcome known): a lower bound on any
    policy's over-budget rate at that budget.
    """
    over = 0
    for c in conversations:
        spent = np.zeros((1, 2))
        for turn in sim.outcomes(c)[:, :, 1:3]:
            spent = (spent[:, None, :] + turn[None, :, :]).reshape(-1, 2)
            spent = spent[(spent[:, 0] <= lat + 1e-9) & (spent[:, 1] <= usd + 1e-12)]
            if len(spent) > 4096:  # keep the cheapest in time and money: enough to decide
                keep = np.argsort(spent[:, 0] / lat + spent[:, 1] / usd)[:4096]
                spent = spent[keep]
        over += int(len(spent) == 0)
    return over / max(len(conversations), 1)


def tune_penalty(
    sim: Simulator,
    train: Sequence[int],
    budgets: Sequence[tuple[float, float]],
    penalties: Sequence[float] = PENALTIES,
    margins_s: Sequence[float] = MARGINS_S,
    *,
    folds: int = 3,
    max_over: float = 0.01,
    k: int = 10,
    seed: int = 0,
) -> tuple[tuple[float, float], dict[str, Any]]:
    """The (penalty, margin) of best mean score whose over-budget rate stays low.

    Cross-validation inside `train`: each inner fold plans on the others and
    plays its own conversations at every budget of `budgets` that hindsight
    can always meet (`hindsight_over` is 0: no policy can meet the others). A
    setting qualifies when its over-budget rate, averaged over those budgets,
    is at most `max_over` / 2 (a margin for the rate's noise on few
    conversations); if none does, the lowest rate wins. Returns the setting
    and a table of every setting's mean score and rates.
    """
    budgets = [b for b in budgets if hindsight_over(sim, train, *b) == 0.0] or [max(budgets)]
    settings = [(float(p), float(m)) for p in penalties for m in margins_s]
    order = np.random.default_rng(seed).permutation(np.asarray(train))
    scores: dict[tuple[float, float], float] = dict.fromkeys(settings, 0.0)
    rates = {s: np.zeros(len(budgets)) for s in settings}
    for f in range(folds):
        held = sorted(int(c) for c in order[f::folds])
        rest = sorted(int(c) for c in order if int(c) not in set(held))
        # As in the outer protocol: the plan and predictor know the other conversations only.
        rest_sim = sub_simulator(sim, rest)
        predictor = Predictor(rest_sim, range(len(rest)), k=k)
        lengths = LengthModel.fit([len(c.turns) for c in rest_sim.conversations])
        samples = sample_turns(rest_sim, range(len(rest)), k=k)
        for setting in settings:
            act = plan_policy(predictor, solve(samples, lengths, *setting))
            for b, (lat, usd) in enumerate(budgets):
                row = evaluate(sim, held, act, lat, usd, seed=f)
                scores[setting] += row["score"] * row["n"]
                rates[setting][b] += row["over_budget_rate"] * row["n"]
    return _choose(settings, scores, rates, len(train), budgets, max_over)


def _choose(
    settings: Sequence[tuple[float, float]],
    scores: dict[tuple[float, float], float],
    rates: dict[tuple[float, float], Any],
    n: int,
    budgets: Sequence[tuple[float, float]],
    max_over: float,
) -> tuple[tuple[float, float], dict[str, Any]]:
    """The best setting by `tune_penalty`'s rule, and the table of every setting's figures."""
    table: dict[str, Any] = {"budgets": [list(b) for b in budgets], "settings": []}
    best: tuple[bool, float] | None = None
    chosen = settings[-1]
    for setting in settings:
        by_budget = rates[setting] / n
        score = scores[setting] / (n * len(budgets))
        over = float(by_budget.mean())
        table["settings"].append(
            {
                "penalty": setting[0],
                "margin_s": setting[1],
                "score": score,
                "mean_over": over,
                "worst_over": float(by_budget.max()),
            }
        )
        ok = over <= max_over / 2
        key = (ok, score if ok else -over)
        if best is None or key > best:
            best, chosen = key, setting
    return chosen, table
