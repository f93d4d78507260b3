"""The Flet team screen: renders a `TeamViewModel` and forwards user events to it.

Pick a pattern, a topology and the agents, ask, and watch the messages between
agents arrive with their token counts, plus running totals per edge. Nothing
here decides anything; the rules live in the view-model.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from app.gui.team.view_model import (
    ENDINGS,
    PATTERNS,
    TOPOLOGIES,
    TeamConfig,
    TeamRow,
    TeamViewModel,
)
from app.gui.widgets.coalesced import FRAME_S, CoalescedRender
from router import Runtime

_ROW_COLORS = {"step": ft.Colors.BLUE_800, "error": ft.Colors.RED_900}


def _dropdown(label: str, value: str, options: Any, on_select: Any, width: int = 150) -> Any:
    return ft.Dropdown(
        label=label,
        value=value,
        width=width,
        options=[ft.DropdownOption(key=str(o), text=str(o)) for o in options],
        on_select=on_select,
    )


def _row_control(row: TeamRow) -> ft.Control:
    if row.kind == "step":
        return ft.Text(row.text, weight=ft.FontWeight.BOLD, color=_ROW_COLORS["step"], size=13)
    tokens = ft.Text(f"{row.tokens} tok", size=11, color=ft.Colors.GREY_700, width=60)
    who = ft.Text(row.who, size=12, weight=ft.FontWeight.W_500, width=140)
    body = ft.Text(row.text, size=12, selectable=True, expand=True, color=_ROW_COLORS.get(row.kind))
    icon = ft.Icons.ARROW_FORWARD if row.kind == "message" else ft.Icons.CHAT_BUBBLE_OUTLINE
    return ft.Row([ft.Icon(icon, size=14), who, body, tokens], spacing=6)


class TeamView:
    """The team screen of one page."""

    def __init__(self, page: ft.Page, vm: TeamViewModel, *, frame_s: float = FRAME_S) -> None:
        self.page = page
        self.vm = vm
        self._coalesced = CoalescedRender(self.render, frame_s)
        self._shown_agents: tuple[str, ...] = ()
        self.pattern = _dropdown("Pattern", vm.pattern, PATTERNS, self._on_pattern)
        self.topology = _dropdown("Topology", vm.topology, TOPOLOGIES, self._on_topology)
        self.ending = _dropdown("Debate ends by", vm.ending, ENDINGS, self._on_ending, 170)
        self.rounds = _dropdown("Rounds", str(vm.rounds), range(5), self._on_rounds, 110)
        self.budget = ft.TextField(
            label="Token budget", hint_text="none", width=150, on_change=self._on_budget
        )
        self.agent_row = ft.Row(wrap=True, spacing=8)
        self.add_button = ft.TextButton("Add agent", icon=ft.Icons.ADD, on_click=self._on_add)
        self.question = ft.TextField(
            hint_text="Ask the team… (Enter runs)", expand=True, on_submit=self._on_run
        )
        self.run_button = ft.FilledButton("Run team", icon=ft.Icons.GROUPS, on_click=self._on_run)
        self.stop_button = ft.OutlinedButton("Stop", icon=ft.Icons.STOP, on_click=self._on_stop)
        self.status = ft.Text(size=12, color=ft.Colors.GREY_700)
        self.error = ft.Text(color=ft.Colors.RED_900, selectable=True, visible=False)
        self.feed = ft.ListView(expand=True, spacing=4, auto_scroll=True, padding=8)
        self.edges = ft.Column(spacing=2, scroll=ft.ScrollMode.AUTO, width=230)
        self.answer = ft.Text(selectable=True)
        self.summary = ft.Text(size=11, italic=True, color=ft.Colors.GREY_700)
        self.root = ft.Column(
            [
                ft.Text("Team", size=20, weight=ft.FontWeight.BOLD),
                ft.Row(
                    [self.pattern, self.topology, self.ending, self.rounds, self.budget], wrap=True
                ),
                self.agent_row,
                ft.Row([self.question, self.run_button, self.stop_button]),
                ft.Row([self.status]),
                self.error,
                ft.Row(
                    [
                        ft.Container(self.feed, expand=True),
                        ft.Column(
                            [ft.Text("Traffic per edge", weight=ft.FontWeight.BOLD), self.edges]
                        ),
                    ],
                    expand=True,
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                self.answer,
                self.summary,
            ],
            expand=True,
        )

    def request_render(self) -> None:
        """Schedule a `render` within a frame, however many changes arrive meanwhile."""
        self._coalesced.request()

    def render(self) -> None:
        """Bring every control in line with the view-model and push it to the client."""
        self.sync()
        self.page.update()

    def sync(self) -> None:
        """Bring every control in line with the view-model (without pushing it)."""
        vm = self.vm
        if tuple(vm.agents) != self._shown_agents:
            self._render_agents()
        if len(self.feed.controls) > len(vm.rows):
            self.feed.controls.clear()
        for row in vm.rows[len(self.feed.controls) :]:
            self.feed.controls.append(_row_control(row))
        self.edges.controls = [
            ft.Text(f"{e.edge}: {e.messages} msg, {e.tokens} tok", size=12)
            for e in sorted(vm.edges.values(), key=lambda e: e.edge)
        ]
        thinking = ", ".join(f"a{i + 1}" for i in sorted(vm.thinking))
        self.status.value = vm.status + (f" · thinking: {thinking}" if thinking else "")
        self.error.value, self.error.visible = vm.error or "", vm.error is not None
        self.answer.value = vm.answer
        self.summary.value = vm.summary
        for control in (self.run_button, self.add_button, self.pattern, self.topology):
            control.disabled = vm.busy
        self.stop_button.disabled = not vm.busy

    def _render_agents(self) -> None:
        vm = self.vm
        self._shown_agents = tuple(vm.agents)
        choices = vm.available_agents()
        slots: list[ft.Control] = []
        for i, name in enumerate(vm.agents):
            options = choices if name in choices else [*choices, name]
            picker = _dropdown(f"Agent {i + 1}", name, options, self._on_agent(i), 140)
            remove = ft.IconButton(ft.Icons.CLOSE, tooltip="remove", on_click=self._on_remove(i))
            slots.append(ft.Row([picker, remove], spacing=0, tight=True))
        self.agent_row.controls = [*slots, self.add_button]

    def _on_agent(self, index: int) -> Any:
        return lambda e: self.vm.set_agent(index, e.control.value)

    def _on_remove(self, index: int) -> Any:
        return lambda _e: self.vm.remove_agent(index)

    def _on_pattern(self, e: Any) -> None:
        self.vm.pattern = e.control.value

    def _on_topology(self, e: Any) -> None:
        self.vm.topology = e.control.value

    def _on_ending(self, e: Any) -> None:
        self.vm.ending = e.control.value

    def _on_rounds(self, e: Any) -> None:
        self.vm.rounds = int(e.control.value)

    def _on_budget(self, e: Any) -> None:
        text = (e.control.value or "").strip()
        self.vm.max_tokens = int(text) if text.isdigit() and int(text) > 0 else None

    def _on_add(self, _e: Any = None) -> None:
        self.vm.add_agent()

    async def _on_run(self, _e: Any = None) -> None:
        # Flet runs each event as its own task, so Stop stays clickable meanwhile.
        await self.vm.run(self.question.value or "")

    def _on_stop(self, _e: Any = None) -> None:
        self.vm.stop()


def build_team_view(
    page: ft.Page, runtime: Runtime, config: TeamConfig | None = None
) -> ft.Control:
    """The team section for the app shell: its view-model, controls and live updates.

    `config` is the page's team setup, shared with the chat's Team switch.
    """
    vm = TeamViewModel(runtime, config=config)
    view = TeamView(page, vm)
    vm.on_change = view.request_render
    view.sync()
    return view.root
