"""The Dashboard's numbers, from the ledger: where turns ran, spend, latency, privacy events,
and what routing learned from the user's ratings.

Plain Python (no Flet): `summarize` turns a list of turns into the figures the
charts draw, so every number is tested without a browser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from app.gui.services.feedback import feedback_for
from router import Runtime, Turn
from router.ledger.feedback import FeedbackSummary

LATENCY_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 s", 1.0),
    ("1-2 s", 2.0),
    ("2-5 s", 5.0),
    ("5-10 s", 10.0),
    ("10-30 s", 30.0),
    ("≥ 30 s", float("inf")),
)
"""Latency histogram bins: label and upper bound (exclusive)."""
PRIVACY_DAYS = 14


@dataclass(frozen=True)
class Budget:
    """Money spent in a period against its cap (None: no cap)."""

    label: str
    spent_usd: float
    cap_usd: float | None

    @property
    def share(self) -> float | None:
        """Spent / cap, for the gauge (None without a cap; may exceed 1)."""
        if self.cap_usd is None:
            return None
        return self.spent_usd / self.cap_usd if self.cap_usd > 0 else float(self.spent_usd > 0)


@dataclass(frozen=True)
class PrivacyDay:
    """How many turns one day's privacy rules kept local, kept on the user's devices, or
    redacted."""

    day: str
    kept_local: int
    redacted: int
    kept_mine: int = 0


@dataclass(frozen=True)
class DashboardData:
    """Everything the Dashboard shows."""

    turns: int
    endpoint_share: tuple[tuple[str, int], ...]
    """(endpoint label, finished turns), most used first."""
    budgets: tuple[Budget, ...]
    latency_histogram: tuple[tuple[str, int], ...]
    privacy_days: tuple[PrivacyDay, ...]
    total_cost_usd: float
    median_latency_s: float | None
    learned: FeedbackSummary | None = None
    """The user's ratings and re-answer pairs, and the routes they changed (None: not read)."""


def summarize(
    turns: Iterable[Turn],
    *,
    now: datetime,
    day_cap_usd: float | None = None,
    month_cap_usd: float | None = None,
    days: int = PRIVACY_DAYS,
) -> DashboardData:
    """The Dashboard's figures for `turns`; periods are UTC days and months, as the budgets."""
    now = now.astimezone(UTC)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    first_day = (day_start - timedelta(days=days - 1)).date()
    shares: Counter[str] = Counter()
    histogram: Counter[str] = Counter()
    privacy: dict[str, Counter[str]] = {
        (first_day + timedelta(days=i)).isoformat(): Counter() for i in range(days)
    }
    latencies: list[float] = []
    spent_day = spent_month = total = 0.0
    count = 0
    for turn in turns:
        when = turn.created_at.astimezone(UTC)
        cost = turn.usage.cost_usd if turn.usage else 0.0
        total += cost
        spent_day += cost if when >= day_start else 0.0
        spent_month += cost if when >= month_start else 0.0
        if turn.route is None or turn.status != "complete":
            continue
        count += 1
        shares[f"{turn.route.endpoint} ({turn.route.endpoint_kind})"] += 1
        if turn.usage is not None:
            latencies.append(turn.usage.latency_s)
            histogram[_bucket(turn.usage.latency_s)] += 1
        day = when.date().isoformat()
        if day in privacy and turn.route.privacy_action != "allow":
            privacy[day][turn.route.privacy_action] += 1
    return DashboardData(
        turns=count,
        endpoint_share=tuple(shares.most_common()),
        budgets=(
            Budget("today", spent_day, day_cap_usd),
            Budget("this month", spent_month, month_cap_usd),
        ),
        latency_histogram=tuple((label, histogram[label]) for label, _ in LATENCY_BUCKETS),
        privacy_days=tuple(
            PrivacyDay(day, c["keep_local"], c["redact"], c["keep_mine"])
            for day, c in privacy.items()
        ),
        total_cost_usd=total,
        median_latency_s=_median(latencies),
    )


def _bucket(latency_s: float) -> str:
    return next(label for label, upper in LATENCY_BUCKETS if latency_s < upper)


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass
class DashboardViewModel:
    """Reads the ledger when the Dashboard is shown (or refreshed)."""

    runtime: Runtime
    on_change: Callable[[], None] = field(default=lambda: None)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    data: DashboardData | None = None

    def refresh(self) -> DashboardData:
        """Recompute the figures from every turn, rating and pair in the ledger."""
        ledger = self.runtime.ledger
        turns = [t for s in ledger.sessions() for t in ledger.turns(s.id)]
        routing = self.runtime.settings.routing
        figures = summarize(
            turns,
            now=self.clock(),
            day_cap_usd=routing.budget_per_day_usd,
            month_cap_usd=routing.budget_per_month_usd,
        )
        self.data = replace(figures, learned=feedback_for(self.runtime).summary())
        self.on_change()
        return self.data
