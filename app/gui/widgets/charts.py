"""Charts for the Dashboard: `flet-charts` (fl_chart, built into the flet-web client).

Without the `flet-charts` package the same figures are drawn as plain bars
made of containers, so the Dashboard still works, only plainer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import flet as ft

try:
    import flet_charts as fch  # type: ignore[import-untyped]  # ships no py.typed
except ImportError:  # pragma: no cover - flet-charts is a dependency; this is the fallback
    fch = None

PALETTE = (
    ft.Colors.BLUE_400,
    ft.Colors.GREEN_400,
    ft.Colors.ORANGE_400,
    ft.Colors.PURPLE_400,
    ft.Colors.TEAL_400,
    ft.Colors.PINK_400,
)

Series = tuple[str, Sequence[float], str]
"""A named series of values (one per label) and its colour."""


def legend(items: Sequence[tuple[str, str]]) -> ft.Row:
    """Coloured squares with their names."""
    return ft.Row(
        [
            ft.Row(
                [ft.Container(width=12, height=12, bgcolor=color), ft.Text(name, size=12)],
                spacing=4,
            )
            for name, color in items
        ],
        wrap=True,
    )


def pie(pairs: Sequence[tuple[str, int]], height: int = 180) -> ft.Control:
    """Shares of a whole (e.g. turns per endpoint), with a legend."""
    total = sum(v for _, v in pairs) or 1
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(pairs))]
    names = [
        (f"{name}: {value} ({value / total:.0%})", c)
        for (name, value), c in zip(pairs, colors, strict=True)
    ]
    if fch is None:
        return bars([n for n, _ in pairs], [("turns", [v for _, v in pairs], PALETTE[0])])
    chart = fch.PieChart(
        sections=[
            fch.PieChartSection(value, color=color, radius=70, title=f"{value / total:.0%}")
            for (_, value), color in zip(pairs, colors, strict=True)
        ],
        sections_space=2,
        center_space_radius=20,
        height=height,
        width=height,
    )
    return ft.Row(
        [chart, legend(names)], wrap=True, vertical_alignment=ft.CrossAxisAlignment.CENTER
    )


def bars(
    labels: Sequence[str], series: Sequence[Series], *, height: int = 180, stacked: bool = True
) -> ft.Control:
    """Vertical bars, one group per label, the series stacked; a legend when several."""
    top = max((sum(s[1][i] for s in series) for i in range(len(labels))), default=0) or 1
    if fch is None:
        return _plain_bars(labels, series, top, height)
    groups = []
    for i, _ in enumerate(labels):
        items, at = [], 0.0
        for _, values, color in series:
            items.append(fch.BarChartRodStackItem(from_y=at, to_y=at + values[i], color=color))
            at += values[i]
        single = series[0][2] if len(series) == 1 else None
        rod = fch.BarChartRod(
            from_y=0,
            to_y=at,
            width=18,
            color=single,
            stack_items=items if stacked and len(series) > 1 else [],
            border_radius=2,
            tooltip=f"{labels[i]}: {at:g}",
        )
        groups.append(fch.BarChartGroup(x=i, rods=[rod]))
    chart = fch.BarChart(
        groups=groups,
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(value=i, label=ft.Text(t, size=10)) for i, t in enumerate(labels)
            ],
            label_size=28,
        ),
        left_axis=fch.ChartAxis(label_size=36, label_spacing=max(1, math.ceil(top / 4))),
        max_y=math.ceil(top * 1.1),
        height=height,
    )
    parts: list[ft.Control] = [chart]
    if len(series) > 1:
        parts.append(legend([(name, color) for name, _, color in series]))
    return ft.Column(parts)


def _plain_bars(
    labels: Sequence[str], series: Sequence[Series], top: float, height: int
) -> ft.Control:
    columns: list[ft.Control] = []
    for i, label in enumerate(labels):
        blocks = [
            ft.Container(width=18, height=max(1, height * values[i] / top), bgcolor=color)
            for _, values, color in reversed(series)
            if values[i]
        ]
        columns.append(
            ft.Column(
                [*blocks, ft.Text(label, size=10)],
                spacing=0,
                alignment=ft.MainAxisAlignment.END,
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    return ft.Row(
        columns,
        vertical_alignment=ft.CrossAxisAlignment.END,
        height=height + 20,
        scroll=ft.ScrollMode.AUTO,
    )


def gauge(label: str, spent: float, cap: float | None) -> ft.Control:
    """Money spent against a cap, as a bar that turns red past the cap."""
    if cap is None:
        return ft.Column([ft.Text(f"{label}: ${spent:.4f} spent (no cap set)", size=13)], spacing=2)
    share = spent / cap if cap > 0 else float(spent > 0)
    color = (
        ft.Colors.RED_400
        if share >= 1
        else ft.Colors.AMBER_400
        if share >= 0.8
        else ft.Colors.GREEN_400
    )
    return ft.Column(
        [
            ft.Text(f"{label}: ${spent:.4f} of ${cap:g} ({share:.0%})", size=13),
            ft.ProgressBar(
                value=min(share, 1.0), color=color, bgcolor=ft.Colors.GREY_200, height=10
            ),
        ],
        spacing=2,
    )
