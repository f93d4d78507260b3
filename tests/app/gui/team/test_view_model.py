"""The team screen's view-model and Flet view, over runtimes with fake endpoints."""

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace
from typing import cast

import flet as ft
import pytest

from app.gui.team.view import TeamView, build_team_view
from app.gui.team.view_model import MAX_AGENTS, TeamViewModel
from router.endpoints.fake import FakeEndpoint
from router.runtime.compose import Runtime

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]


@pytest.fixture(autouse=True)
def _pattern_detectors_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_PRIVACY__NER", "false")  # spaCy takes long to load


class RecordingPage:
    """Stands in for a connected `ft.Page`: `render` only ever calls `update()`."""

    def __init__(self) -> None:
        self.updates = 0

    def update(self) -> None:
        self.updates += 1


def local(text: str = "the answer is 7") -> FakeEndpoint:
    return FakeEndpoint(lambda _m: text, name="local", kind="local")


async def test_a_run_fills_the_live_view_with_answers_messages_and_edge_totals(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        vm = TeamViewModel(runtime)
        vm.topology = "ring"
        snapshots: list[tuple[str, int]] = []
        vm.on_change = lambda: snapshots.append((vm.status, len(vm.rows)))
        result = await vm.run("What is 3+4?")
    assert result is not None and result.status == "complete"
    kinds = [r.kind for r in vm.rows]
    assert kinds.count("answer") == 6 and kinds.count("message") == 3
    message = next(r for r in vm.rows if r.kind == "message")
    assert (message.who, message.tokens, message.text) == ("a1 -> a2", 4, "the answer is 7")
    assert {e.edge: (e.messages, e.tokens) for e in vm.edges.values()} == {
        "a1 -> a2": (1, 4),
        "a2 -> a3": (1, 4),
        "a3 -> a1": (1, 4),
    }
    assert vm.answer == "the answer is 7" and vm.status == "complete"
    assert vm.summary.startswith("[complete · consensus of 3 agents after 1 round(s)")
    assert ("round 1: broadcast, critique and revise", 6) in [
        (s, n) for s, n in snapshots if n == 6
    ]
    assert not vm.busy


async def test_an_unknown_agent_is_shown_as_an_error(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local()) as runtime:
        vm = TeamViewModel(runtime)
        vm.set_agent(1, "claude")
        assert await vm.run("hi") is None
    assert vm.error is not None and "no endpoint or endpoint kind named 'claude'" in vm.error
    assert vm.status == "failed" and not vm.busy


async def test_agents_can_be_added_up_to_the_limit_and_removed_down_to_one(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        vm = TeamViewModel(runtime)
        assert vm.available_agents() == ["local"]
        for _ in range(10):
            vm.add_agent()
        assert len(vm.agents) == MAX_AGENTS
        for _ in range(10):
            vm.remove_agent(0)
        assert vm.agents == ["local"]


async def test_stop_cancels_a_running_team(fake_runtime: RuntimeFactory) -> None:
    slow = FakeEndpoint(lambda _m: "a b c d e f g h", name="local", kind="local", delay_s=0.01)
    async with fake_runtime(slow) as runtime:
        vm = TeamViewModel(runtime)
        vm.rounds = 4
        started = asyncio.Event()
        vm.on_change = lambda: started.set() if vm.thinking else None
        task = asyncio.create_task(vm.run("q"))
        await started.wait()
        vm.stop()
        assert await task is None
    assert vm.status == "stopped" and not vm.busy and vm.result is None


async def test_the_view_renders_rows_edges_and_disables_run_while_busy(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        page = RecordingPage()
        vm = TeamViewModel(runtime)
        view = TeamView(cast(ft.Page, page), vm)
        busy_states: list[tuple[bool, bool]] = []

        def render_and_record() -> None:
            view.render()
            busy_states.append((view.run_button.disabled, view.stop_button.disabled))

        vm.on_change = render_and_record
        await vm.run("What is 3+4?")
    assert (True, False) in busy_states
    assert (view.run_button.disabled, view.stop_button.disabled) == (False, True)
    assert len(view.feed.controls) == len(vm.rows)
    assert next(c.value for c in view.edges.controls) == "a1 -> a2: 1 msg, 4 tok"
    assert view.answer.value == "the answer is 7"
    assert len(view.agent_row.controls) == 3 + 1  # three agents and the Add button
    assert page.updates == len(busy_states)


async def test_build_team_view_returns_the_section_for_the_app_shell(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        control = build_team_view(cast(ft.Page, RecordingPage()), runtime)
    assert isinstance(control, ft.Column)
    assert control.controls[0].value == "Team"


async def test_a_token_budget_stops_the_team_and_the_status_says_so(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        vm = TeamViewModel(runtime)
        vm.rounds, vm.max_tokens = 3, 200
        result = await vm.run("What is 3+4?")
    assert result is not None and result.status == "budget_exhausted"
    assert vm.status == "budget exhausted"
    assert "the team stopped: " in vm.summary
    assert vm.answer == "the answer is 7"


async def test_the_view_forwards_picks_to_the_view_model(fake_runtime: RuntimeFactory) -> None:
    def event(value: str) -> SimpleNamespace:
        return SimpleNamespace(control=SimpleNamespace(value=value))

    async with fake_runtime(local()) as runtime:
        vm = TeamViewModel(runtime)
        view = TeamView(cast(ft.Page, RecordingPage()), vm)
        view._on_pattern(event("hierarchical"))
        view._on_topology(event("tree"))
        view._on_rounds(event("3"))
        view._on_budget(event("500"))
        assert (vm.pattern, vm.topology, vm.rounds, vm.max_tokens) == (
            "hierarchical",
            "tree",
            3,
            500,
        )
        view._on_budget(event("lots"))
        assert vm.max_tokens is None


async def test_a_team_run_is_recorded_as_a_team_turn_the_chat_shows(
    fake_runtime: RuntimeFactory,
) -> None:
    from app.gui.chat.view_model import ChatViewModel

    async with fake_runtime(local()) as runtime:
        vm = TeamViewModel(runtime)
        result = await vm.run("What is 3+4?")
        assert result is not None
        [turn] = runtime.ledger.turns(vm.session_id)
        assert (turn.user_text, turn.answer, turn.status) == (
            "What is 3+4?",
            "the answer is 7",
            "complete",
        )
        assert turn.route is not None and turn.route.policy == "team"
        assert turn.route.reason.startswith("debate over mesh with 3 agents")
        assert turn.usage is not None and turn.usage.output_tokens == result.traffic.output_tokens
        chat = ChatViewModel(runtime)
        chat.open_conversation(vm.session_id)
        assert chat.messages[-1].badge == "team"
