"""The Dashboard's figures: endpoint shares, budgets, latency bins and privacy days."""

from __future__ import annotations

from datetime import UTC, datetime

from app.gui.dashboard.view_model import DashboardViewModel, summarize
from router.endpoints.fake import FakeEndpoint
from router.types import FindingAction, RouteDecision, Turn, TurnRequest, TurnStatus, Usage
from tests.app.conftest import RuntimeFactory

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def turn(
    when: datetime,
    endpoint: str = "local",
    *,
    cost: float = 0.0,
    latency: float = 1.5,
    privacy: FindingAction = "allow",
    status: TurnStatus = "complete",
) -> Turn:
    kind = "local" if endpoint == "local" else "cloud"
    route = RouteDecision(
        endpoint=endpoint, endpoint_kind=kind, policy="test", reason="r", privacy_action=privacy
    )
    usage = Usage(latency_s=latency, cost_usd=cost)
    return Turn(
        session_id="s", seq=0, user_text="q", created_at=when, route=route, usage=usage,
        status=status,
    )  # fmt: skip


def test_summary_counts_endpoints_spend_latency_and_privacy_by_utc_period() -> None:
    turns = [
        turn(datetime(2026, 3, 15, 9, tzinfo=UTC), "claude", cost=0.25, latency=3.0),
        turn(datetime(2026, 3, 15, 1, tzinfo=UTC), "local", latency=0.4, privacy="keep_local"),
        turn(datetime(2026, 3, 10, 8, tzinfo=UTC), "claude", cost=0.5, latency=12.0),
        turn(datetime(2026, 3, 10, 9, tzinfo=UTC), "claude", privacy="redact", latency=7.0),
        turn(datetime(2026, 2, 27, 9, tzinfo=UTC), "local", cost=0.0, latency=45.0),
        # A failed call may still have cost money; it counts for spend, not for the charts.
        turn(datetime(2026, 3, 15, 10, tzinfo=UTC), "claude", cost=0.01, status="error"),
    ]

    data = summarize(turns, now=NOW, day_cap_usd=1.0, month_cap_usd=None)

    assert data.turns == 5
    assert data.endpoint_share == (("claude (cloud)", 3), ("local (local)", 2))
    today, month = data.budgets
    assert (today.label, round(today.spent_usd, 2), today.share) == ("today", 0.26, 0.26)
    assert (month.label, round(month.spent_usd, 2), month.share) == ("this month", 0.76, None)
    assert dict(data.latency_histogram) == {
        "< 1 s": 1, "1-2 s": 0, "2-5 s": 1, "5-10 s": 1, "10-30 s": 1, "≥ 30 s": 1,
    }  # fmt: skip
    assert len(data.privacy_days) == 14
    assert data.privacy_days[0].day == "2026-03-02"  # February's turn is outside the window
    by_day = {d.day: (d.kept_local, d.redacted) for d in data.privacy_days}
    assert by_day["2026-03-15"] == (1, 0)
    assert by_day["2026-03-10"] == (0, 1)
    assert sum(k + r for k, r in by_day.values()) == 2
    assert data.median_latency_s == 7.0
    assert round(data.total_cost_usd, 2) == 0.76


def test_empty_ledger_gives_zeroes_not_errors() -> None:
    data = summarize([], now=NOW, day_cap_usd=0.0, month_cap_usd=5.0)
    assert data.turns == 0 and data.endpoint_share == () and data.median_latency_s is None
    assert [b.share for b in data.budgets] == [0.0, 0.0]
    assert sum(n for _, n in data.latency_histogram) == 0


async def test_refresh_reads_the_turns_just_made(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = DashboardViewModel(runtime)
        assert vm.refresh().turns == 0
        session = runtime.ledger.create_session()
        for text in ("one", "two"):
            async for _ in runtime.pipeline.run_turn(TurnRequest(text=text, session_id=session)):
                pass
        data = vm.refresh()
        assert data.turns == 2
        assert data.endpoint_share == (("local (local)", 2),)
        assert sum(n for _, n in data.latency_histogram) == 2


def test_turns_kept_on_my_devices_are_counted_on_their_own() -> None:
    turns = [
        turn(datetime(2026, 3, 14, 9, tzinfo=UTC), "desk", privacy="keep_mine"),
        turn(datetime(2026, 3, 14, 10, tzinfo=UTC), "local", privacy="keep_mine"),
    ]
    data = summarize(turns, now=NOW, day_cap_usd=None, month_cap_usd=None)
    [day] = [d for d in data.privacy_days if d.day == "2026-03-14"]
    assert (day.kept_local, day.kept_mine, day.redacted) == (0, 2, 0)
