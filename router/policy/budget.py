"""The `budget` policy: the trained M4A1 planner spends what is left of the budgets.

The planner (`assets/budget_policy_default.npz`, `tandem.learn.budget-policy`
version 2; trained by `benchmarks/m4a1_budget.py --write-asset`, see
benchmarks/README.md) holds value tables `U_i(L, C)`: the expected score still
to come after turn `i` of a conversation left with `L` seconds and `C` dollars,
learned by value iteration over M4A1's 100 conversations. For each endpoint it
adds this turn's share of the score to the expected `U` of what the endpoint
leaves, and the best sum wins; endpoints predicted to cost more than is left
are never picked (nor, while another fits, those slower than the time left).

How the chat's state maps onto the planner's:

- turn `i`: the user turns already in the conversation. M4A1 conversations
  have 2-5 turns; from the fifth on, each turn is planned as the last.
- money left `C`: the smallest of what is left in the conversation, today and
  this month (`Budgets`): the planner's horizon is one conversation, and the
  day's and month's money cap what it may spend. Nothing spreads a day's
  money over its conversations; set a conversation budget for that.
- seconds left `L`: the conversation's latency budget
  (`[routing] budget_per_conversation_s`) less the time its answers took. With
  only a per-answer `latency_target_s`, `L` is that target times the turns
  still expected (`EXPECTED_TURNS_LEFT`, from M4A1's conversation lengths;
  a prior for chats). With neither, `L` is the grid's largest value (90 s),
  where latency does not bind.
- each endpoint's predicted score: the `learned` policy's quality model
  (`QualityModel.predict`, in [0, 1]) times M4A1's top score 9, the scale
  `router.learn.m4a1.to_profile` divides by; its latency and cost: the shared
  estimates (measured speed when known, prices, the context a switch resends).
- the spread of latency and cost around those estimates: how far M4A1's
  turns fall from the mean of the action the endpoint plays
  (`spread_around_the_mean`; the chat, like that mean, knows an endpoint and
  not the question): the device's action for on-device endpoints, the cloud's
  with as many camera views as the turn has images for off-device ones (edge
  included). M4A1's spread stands in for the chat's own, which nothing has
  measured yet.

The chat acts on the plan alone (as `router.learn.budget_tune.plan_policy`):
a planner's optional policy-gradient weights, partly over M4A1's task
categories and view relevance, have no chat counterpart (the shipped
planner's are zero).
Without any money budget there is nothing to plan: the `learned` ranking
(quality against cost at the willingness to pay) decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.policy.budget_planner import (
    DEFAULT_PLANNER,
    EXPECTED_TURNS_LEFT,
    LAT_MAX,
    M4A1_MAX_SCORE,
    MAX_TURNS,
    PlannerFile,
    read_planner,
)
from router.policy.decide import device_decision
from router.policy.estimate import (
    Estimate,
    Weights,
    candidates,
    choose_sticky,
    decision_for,
    offline_note,
)
from router.policy.features import BudgetLimits, TurnFeatures
from router.policy.learned import LearnedPolicy, QualityModel
from router.policy.modality import select_attachments
from router.types import RouteDecision

Array = npt.NDArray[np.float64]
CLOUD_ACTION_BY_IMAGES = (1, 2, 5, 8)
"""The M4A1 action whose errors an off-device endpoint borrows, by images sent (0-3+)."""


def load_planner(path: str | Path | None = None) -> PlannerFile:
    """The trained planner at `path` (None: the shipped one); a clear `TandemError` if bad."""
    file = Path(path).expanduser() if path else DEFAULT_PLANNER
    hint = (
        "check [routing] budget_artifact in the config, or remove the key to use the "
        f"shipped default ({DEFAULT_PLANNER.name})"
    )
    planner = read_planner(file, hint)
    if planner.plan is None:
        raise TandemError(
            f"budget policy {file} has no plan (a version-1 file the chat cannot use)", hint
        )
    return planner


def spread_around_the_mean(planner: PlannerFile) -> Array:
    """(actions, quantiles, 2) how far each turn's latency and cost fall from the action's mean.

    The chat knows an endpoint's mean (rolling measured latency, prices), not
    what one question will take, so its errors are those of the mean: taken
    from the simulated outcomes the planner keeps of M4A1's turns, at the
    quantile levels of the planner's own (question-aware) error table.
    """
    assert planner.plan is not None
    values = planner.values[:, :, 1:3]
    n = planner.plan.residuals.shape[1]
    levels = (np.arange(n) + 0.5) / n
    spread = np.quantile(values - values.mean(axis=0), levels, axis=0)
    return np.asarray(spread.transpose(1, 0, 2), dtype=np.float64)


@dataclass(frozen=True)
class PlanState:
    """The planner's view of the conversation, and the words the reason uses for it."""

    turn: int
    usd_left: float
    lat_left: float
    money: str
    time: str


def plan_state(features: TurnFeatures, limits: BudgetLimits | None) -> PlanState | None:
    """Map the chat's budgets onto the planner's state (module docstring); None: no money set."""
    budgets, limits = features.budgets, limits or BudgetLimits()
    money = [
        (left, limit, where)
        for left, limit, where in (
            (budgets.conversation_usd, limits.per_conversation_usd, "in this conversation"),
            (budgets.day_usd, limits.per_day_usd, "today"),
            (budgets.month_usd, limits.per_month_usd, "this month"),
        )
        if left is not None
    ]
    if not money:
        return None
    usd_left, usd_limit, where = min(money, key=lambda m: m[0])
    of = f" of {_dollars(usd_limit)}" if usd_limit is not None else ""
    spent = " (budget exhausted)" if usd_left <= 0 else ""
    turn = features.history_turns
    if budgets.conversation_s is not None:
        lat_left = budgets.conversation_s
        of_s = f" of {limits.per_conversation_s:.0f} s" if limits.per_conversation_s else ""
        time = f", {max(lat_left, 0.0):.0f} s{of_s} left in this conversation"
    elif budgets.latency_target_s is not None:
        turns = EXPECTED_TURNS_LEFT[min(turn, len(EXPECTED_TURNS_LEFT) - 1)]
        lat_left = budgets.latency_target_s * turns
        many = "turn" if turns == 1 else "turns"
        time = f", {lat_left:.0f} s for ~{turns:g} {many} at {budgets.latency_target_s:g} s"
    else:
        lat_left, time = LAT_MAX, ""
    shown = f"${max(usd_left, 0.0):.3f}{of} left {where}{spent}"
    return PlanState(turn, usd_left, lat_left, shown, time)


class BudgetPolicy:
    """The trained planner over the money and seconds left (see the module docstring)."""

    name = "budget"

    def __init__(
        self,
        quality: QualityModel,
        planner: PlannerFile,
        weights: Weights | None = None,
        sticky: bool = True,
        limits: BudgetLimits | None = None,
    ) -> None:
        """`quality` predicts each endpoint's quality; `planner` holds the trained value tables.

        `limits` are the configured budgets, named in the reasons ("of $0.05").
        """
        if planner.plan is None:
            raise ValueError("the budget policy needs a planner with value tables")
        self.planner = planner
        self.weights = weights or Weights()
        self.sticky = sticky
        self.limits = limits
        self._ranker = LearnedPolicy(quality, self.weights, sticky)
        self.residuals = spread_around_the_mean(planner)

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """The endpoint of best planned value for the budgets left."""
        if not candidates(features):
            return device_decision(features, self.name, "no endpoint reachable")
        ranked = self._ranker.rank(features)
        state = plan_state(features, self.limits)
        if state is None:
            chosen, note = (
                choose_sticky(features, ranked, self.weights) if self.sticky else (ranked[0], "")
            )
            reason = note or (
                f"no money budget set: {chosen.state.name} (quality {chosen.quality:.2f}, "
                f"${chosen.cost_usd:.4f})"
            )
            return self._decision(features, chosen, reason + offline_note(features))
        values = self.planned_values(features, ranked, state)
        if not np.isfinite(values).any():
            return device_decision(features, self.name, f"{state.money}: nothing affordable")
        chosen = ranked[int(np.argmax(values))]
        reason = f"{state.money}{state.time}: {_weighed(chosen, ranked, values)}"
        return self._decision(features, chosen, reason + offline_note(features))

    def planned_values(
        self, features: TurnFeatures, ranked: list[Estimate], state: PlanState
    ) -> Array:
        """Each estimate's planned value; -inf for those the budgets left cannot take."""
        plan = self.planner.plan
        assert plan is not None  # checked in __init__
        pred = np.array([[M4A1_MAX_SCORE * e.quality, e.latency_s, e.cost_usd] for e in ranked])
        rows = [_m4a1_action(e, features) for e in ranked]
        q = plan.q_values(state.turn, state.lat_left, state.usd_left, pred, self.residuals[rows])
        return np.where(self._allowed(pred, state), self.planner.plan_scale * q, -np.inf)

    def _allowed(self, pred: Array, state: PlanState) -> npt.NDArray[np.bool_]:
        """Mask what costs more than is left (free endpoints never); then, if any other
        affordable one fits, what takes longer than the seconds left (the planner's shield)."""
        future = max(0, MAX_TURNS - 1 - state.turn)
        lat, usd = pred[:, 1], pred[:, 2]
        reserve_s = float(self.planner.meta.get("reserve_s", 0.0))
        reserve_usd = float(self.planner.meta.get("reserve_usd", 0.0))
        dear = (usd > 0.0) & (usd > state.usd_left - future * reserve_usd)
        slow = lat > state.lat_left - future * reserve_s
        allowed: npt.NDArray[np.bool_] = ~dear & ~slow
        if not allowed.any() and not dear.all():
            allowed = np.zeros(len(pred), dtype=bool)
            allowed[int(np.argmin(np.where(dear, np.inf, lat)))] = True
        return allowed

    def _decision(self, features: TurnFeatures, chosen: Estimate, reason: str) -> RouteDecision:
        selection = select_attachments(features, chosen.state, features.question, self.weights)
        if selection.note:
            reason += f"; {selection.note}"
        return decision_for(chosen, self.name, reason, selection.sent)


def _dollars(usd: float) -> str:
    """A budget limit as set: cents when it is whole cents ($0.05), else a tenth of one."""
    return f"${usd:.2f}" if abs(usd * 100 - round(usd * 100)) < 1e-9 else f"${usd:.3f}"


def _m4a1_action(estimate: Estimate, features: TurnFeatures) -> int:
    """The M4A1 action an endpoint's errors are borrowed from (module docstring)."""
    if not estimate.state.remote:
        return 0
    images = sum(1 for a in features.attachments if a.modality == "image" and not a.kept_local)
    return CLOUD_ACTION_BY_IMAGES[min(images, len(CLOUD_ACTION_BY_IMAGES) - 1)]


def _weighed(chosen: Estimate, ranked: list[Estimate], values: Array) -> str:
    """The winner's quality, cost and time, and what became of the runner-up."""
    text = (
        f"{chosen.state.name} (quality {chosen.quality:.2f}, ${chosen.cost_usd:.4f}, "
        f"{chosen.latency_s:.0f} s)"
    )
    others = [(e, v) for e, v in zip(ranked, values, strict=True) if e is not chosen]
    if not others:
        return text
    rival, value = max(others, key=lambda p: p[1])
    why = "does not fit what is left" if not np.isfinite(value) else "plans lower"
    return text + f"; {rival.state.name} (quality {rival.quality:.2f}, ${rival.cost_usd:.4f}) {why}"
