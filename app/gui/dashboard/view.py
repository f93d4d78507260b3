"""The Dashboard: where turns ran, money against the budgets, latency, privacy events, and
what routing learned from the user's ratings.

Renders `DashboardViewModel` as charts; it re-reads the ledger each time it is
shown (mounted) and on Refresh.
"""

from __future__ import annotations

import flet as ft

from app.gui.dashboard.learned import EMPTY, HOW_IT_LEARNS, learned_lines
from app.gui.dashboard.view_model import DashboardData, DashboardViewModel
from app.gui.widgets import charts
from app.gui.widgets import settings as w
from app.gui.widgets.labelled import icon_button
from router import Runtime


class DashboardView:
    """The controls of the Dashboard for one page."""

    def __init__(self, vm: DashboardViewModel) -> None:
        self.vm = vm
        self.summary = ft.Text()
        self.share = ft.Container()
        self.budgets = ft.Column(spacing=8)
        self.latency = ft.Container()
        self.privacy = ft.Container()
        self.learned = ft.Column(spacing=6)
        self.root = w.ShownColumn(
            [
                ft.Row(
                    [
                        w.title("Dashboard"),
                        icon_button(ft.Icons.REFRESH, "Refresh", vm.refresh),
                    ],
                    alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                ),
                self.summary,
                ft.ResponsiveRow(
                    [
                        _panel("Where turns ran", self.share),
                        _panel("Money spent against the budget", self.budgets),
                        _panel("Answer latency", self.latency),
                        _panel(
                            "Privacy: turns kept local, on your devices or redacted, last 14 days",
                            self.privacy,
                        ),
                        _panel("Learned from your ratings", self.learned),
                    ]
                ),
            ],
            expand=True,
            scroll=ft.ScrollMode.AUTO,
            spacing=12,
        )
        self.root.when_shown(vm.refresh)

    def render(self) -> None:
        """Redraw the charts from the view-model's latest figures."""
        data = self.vm.data
        if data is None:
            return
        self.summary.value = _summary(data)
        self.share.content = (
            charts.pie(data.endpoint_share) if data.endpoint_share else w.hint("No turns yet.")
        )
        self.budgets.controls = [
            charts.gauge(b.label, b.spent_usd, b.cap_usd) for b in data.budgets
        ]
        self.budgets.controls.append(
            w.hint("Caps are set under Models and endpoints. Only off-device turns cost money.")
        )
        labels = [label for label, _ in data.latency_histogram]
        counts = [float(n) for _, n in data.latency_histogram]
        self.latency.content = charts.bars(labels, [("turns", counts, charts.PALETTE[0])])
        days = data.privacy_days
        self.privacy.content = charts.bars(
            [d.day[5:] for d in days],
            [
                ("kept local", [float(d.kept_local) for d in days], ft.Colors.RED_300),
                ("kept on your devices", [float(d.kept_mine) for d in days], ft.Colors.ORANGE_300),
                ("redacted", [float(d.redacted) for d in days], ft.Colors.AMBER_400),
            ],
        )
        lines = learned_lines(data.learned) if data.learned is not None else []
        self.learned.controls = [
            w.hint(line) if line == HOW_IT_LEARNS else ft.Text(line) for line in lines
        ] or [w.hint(EMPTY)]
        w.refresh(self.root)


def _panel(heading: str, body: ft.Control) -> ft.Control:
    panel = w.card(w.subtitle(heading), body)
    panel.col = {"xs": 12, "lg": 6}
    return panel


def _summary(data: DashboardData) -> str:
    median = f"{data.median_latency_s:.1f} s" if data.median_latency_s is not None else "n/a"
    return (
        f"{data.turns} finished turns · ${data.total_cost_usd:.4f} spent in all · "
        f"median latency {median}"
    )


def build_dashboard_view(page: ft.Page, runtime: Runtime) -> ft.Control:
    """Return the Dashboard for `page`; it reads `runtime`'s ledger whenever it is shown."""
    view = DashboardView(DashboardViewModel(runtime))
    view.vm.on_change = view.render
    view.vm.refresh()
    return view.root
