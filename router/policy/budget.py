"""The `budget` policy: sequential routing under money budgets (M4A1 / TMO style).

The state of the decision includes what is left of each budget. Following the
budget-pacing formulation, the remaining money is spread evenly over the turns
still expected in its period, giving a per-turn allowance; the policy then
maximises predicted quality among endpoints whose expected cost fits the
allowance (times a slack that lets a hard turn borrow from easy ones), and
answers on the device when a budget is exhausted.

Artifact (`tandem.budget-router`, version 1; the learning issue fits it):

    {"format": "tandem.budget-router", "version": 1, "trained": false,
     "expected_turns_per_day": 40, "expected_turns_per_conversation": 12,
     "slack": 2.0, "difficulty_boost": 1.0}

`slack` multiplies the allowance; `difficulty_boost` scales it further by
(1 + boost * (difficulty - 0.5)), so harder turns may spend more. The shipped
default (`assets/routing_budget.json`) is hand-set, not trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from router.errors import TandemError
from router.policy.artifact_file import read_artifact
from router.policy.decide import device_decision
from router.policy.estimate import (
    Estimate,
    Weights,
    candidates,
    choose_sticky,
    decision_for,
    offline_note,
)
from router.policy.features import TurnFeatures, days_left_in_month
from router.policy.learned import LearnedPolicy, QualityModel
from router.policy.modality import select_attachments
from router.types import RouteDecision

BUDGET_FORMAT = "tandem.budget-router"
DEFAULT_BUDGET = Path(__file__).resolve().parents[2] / "assets" / "routing_budget.json"


@dataclass(frozen=True)
class Pacing:
    """How many turns a budget period is expected to hold, and how much a turn may borrow."""

    expected_turns_per_day: float = 40.0
    expected_turns_per_conversation: float = 12.0
    slack: float = 2.0
    difficulty_boost: float = 1.0
    trained: bool = False


def load_pacing(path: str | Path | None = None) -> Pacing:
    """Read a `tandem.budget-router` artifact; a clear `TandemError` if it is bad."""
    file, data, hint = read_artifact(
        path, DEFAULT_BUDGET, label="budget artifact", setting="budget_artifact", fmt=BUDGET_FORMAT
    )
    try:
        pacing = Pacing(
            expected_turns_per_day=float(data["expected_turns_per_day"]),
            expected_turns_per_conversation=float(data["expected_turns_per_conversation"]),
            slack=float(data.get("slack", 2.0)),
            difficulty_boost=float(data.get("difficulty_boost", 1.0)),
            trained=bool(data.get("trained", False)),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise TandemError(f"budget artifact {file} is malformed ({exc})", hint) from exc
    if pacing.expected_turns_per_day <= 0 or pacing.expected_turns_per_conversation <= 0:
        raise TandemError(f"budget artifact {file} expects no turns", hint)
    return pacing


def allowance_usd(
    features: TurnFeatures, pacing: Pacing, now: datetime | None = None
) -> float | None:
    """Money this turn may spend: each budget's rest over its expected remaining turns."""
    now = now or datetime.now(UTC)
    budgets = features.budgets
    shares: list[float] = []
    if budgets.day_usd is not None:
        day_left = 1.0 - (now.hour * 3600 + now.minute * 60 + now.second) / 86400.0
        shares.append(budgets.day_usd / max(1.0, pacing.expected_turns_per_day * day_left))
    if budgets.month_usd is not None:
        turns = pacing.expected_turns_per_day * days_left_in_month(now)
        shares.append(budgets.month_usd / max(1.0, turns))
    if budgets.conversation_usd is not None:
        turns = pacing.expected_turns_per_conversation - features.history_turns
        shares.append(budgets.conversation_usd / max(1.0, turns))
    if not shares:
        return None
    boost = 1.0 + pacing.difficulty_boost * (features.difficulty - 0.5)
    return max(0.0, min(shares)) * pacing.slack * max(boost, 0.1)


class BudgetPolicy:
    """Best predicted quality whose cost fits the per-turn allowance of the remaining budget."""

    name = "budget"

    def __init__(
        self,
        quality: QualityModel,
        pacing: Pacing,
        weights: Weights | None = None,
        sticky: bool = True,
    ) -> None:
        """`quality` predicts per-endpoint quality; `pacing` spreads the budgets over turns."""
        self.pacing = pacing
        self.weights = weights or Weights()
        self.sticky = sticky
        self._ranker = LearnedPolicy(quality, self.weights, sticky)

    def decide(self, features: TurnFeatures) -> RouteDecision:
        """Spend the budget at its pace; on the device when it is gone."""
        if features.budgets.exhausted():
            left = features.budgets.remaining() or 0.0
            return device_decision(
                features, self.name, f"budget exhausted (${left:.2f} left): on device"
            )
        if not candidates(features):
            return device_decision(features, self.name, "no endpoint reachable")
        allowance = allowance_usd(features, self.pacing)
        ranked = self._ranker.rank(features)
        if allowance is not None:
            affordable = [e for e in ranked if e.cost_usd <= allowance or e.cost_usd == 0.0]
            # Within the allowance, quality decides (money is already paced).
            ranked = sorted(affordable, key=lambda e: (-e.quality, e.cost_usd))
        if not ranked:
            return device_decision(features, self.name, "nothing fits the budget")
        chosen, note = (
            choose_sticky(features, ranked, self.weights) if self.sticky else (ranked[0], "")
        )
        reason = note or _explain(chosen, allowance, features)
        selection = select_attachments(features, chosen.state, features.question, self.weights)
        if selection.note:
            reason += f"; {selection.note}"
        return decision_for(chosen, self.name, reason, selection.sent)


def _explain(chosen: Estimate, allowance: float | None, features: TurnFeatures) -> str:
    if allowance is None:
        text = f"no budget set: {chosen.state.name} (quality {chosen.quality:.2f})"
        return text + offline_note(features)
    left = features.budgets.remaining() or 0.0
    return (
        f"${allowance:.4f} allowed this turn (${left:.2f} left): {chosen.state.name} "
        f"(quality {chosen.quality:.2f}, ${chosen.cost_usd:.4f})"
    ) + offline_note(features)
