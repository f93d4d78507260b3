"""The Dashboard's "Learned from your ratings" panel: its text, figures and empty state."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import flet as ft

from app.gui.chat.view_model import ChatViewModel
from app.gui.dashboard.learned import EMPTY, HOW_IT_LEARNS, learned_lines
from app.gui.dashboard.view import DashboardView
from app.gui.dashboard.view_model import DashboardViewModel
from router.endpoints.fake import FakeEndpoint
from router.ledger.feedback import FeedbackSummary, TierCount
from router.paths import TandemPaths
from router.policy.user_ratings import GLOBAL_PSEUDO_COUNT, LOCAL_PSEUDO_COUNT
from tests.app.conftest import RuntimeFactory
from tests.support.tiers import ASKED, SIMILAR, open_two_tiers

NOTHING = FeedbackSummary(tiers=(), ratings=0, pairs=0, preferred={}, routes_changed=0)


def test_no_ratings_show_no_figures() -> None:
    assert learned_lines(NOTHING) == []
    assert "No ratings yet" in EMPTY


def test_ratings_per_tier_pairs_preferences_and_routes_changed() -> None:
    summary = FeedbackSummary(
        tiers=(TierCount("cloud", 4, 0), TierCount("local", 3, 5)),
        ratings=12,
        pairs=3,
        preferred={"cloud": 2, "local": 1},
        routes_changed=7,
    )
    assert learned_lines(summary) == [
        "12 ratings: this device 3 good, 5 bad · cloud 4 good, 0 bad",
        "3 questions answered on both tiers: you preferred the cloud in 2, this device in 1",
        "Your ratings changed the route of 7 turns.",
        HOW_IT_LEARNS,
    ]


def test_one_of_each_reads_in_the_singular_and_undecided_pairs_are_counted() -> None:
    summary = FeedbackSummary(
        tiers=(TierCount("local", 0, 1),), ratings=1, pairs=2, preferred={}, routes_changed=1
    )
    assert learned_lines(summary)[:3] == [
        "1 rating: this device 0 good, 1 bad",
        "2 questions answered on both tiers: no preference given yet",
        "Your ratings changed the route of 1 turn.",
    ]


def test_how_it_learns_names_its_priors() -> None:
    assert "prior" in HOW_IT_LEARNS and "similar" in HOW_IT_LEARNS
    assert f"{GLOBAL_PSEUDO_COUNT:g} ratings" in HOW_IT_LEARNS
    assert f"{LOCAL_PSEUDO_COUNT:g} ratings" in HOW_IT_LEARNS


def panel_texts(view: DashboardView) -> list[str]:
    return [cast(ft.Text, c).value or "" for c in view.learned.controls]


async def test_the_panel_is_empty_then_counts_a_rating_from_the_chat(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        view = DashboardView(DashboardViewModel(runtime))
        view.vm.on_change = view.render
        view.vm.refresh()
        assert panel_texts(view) == [EMPTY]

        chat = ChatViewModel(runtime)
        await chat.send("hello")
        await chat.rate(1, good=True)
        data = view.vm.refresh()
        assert data.learned is not None and data.learned.ratings == 1
        assert panel_texts(view)[0] == "1 rating: this device 1 good, 0 bad"


async def test_a_route_the_ratings_changed_is_counted(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    async with open_two_tiers(tandem_home, tmp_path) as (runtime, _):
        chat = ChatViewModel(runtime)
        await chat.send(ASKED)
        await chat.rate(1, good=False)
        await chat.send(SIMILAR)
        learned = DashboardViewModel(runtime).refresh().learned
        assert learned is not None and learned.routes_changed == 1
