"""Team mode in the chat: the Team switch, the live team bubble, Stop, history, errors."""

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace
from typing import cast

import flet as ft
import pytest

from app.gui.chat.detail.team import NOT_KEPT
from app.gui.chat.detail.view import TurnDetailPanel
from app.gui.chat.view import ChatView
from app.gui.chat.view_model import ChatViewModel
from app.gui.team.view_model import TeamConfig, TeamViewModel
from router.context.turns import TEAM_HEADING
from router.endpoints.fake import FakeEndpoint
from router.runtime.compose import Runtime
from router.types import Message

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]


@pytest.fixture(autouse=True)
def _pattern_detectors_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_PRIVACY__NER", "false")  # spaCy takes long to load


class RecordingPage:
    """Stands in for a connected `ft.Page`: `render` only ever calls `update()`."""

    def update(self) -> None:
        pass


def local(text: str = "the answer is 7", delay_s: float = 0.0) -> FakeEndpoint:
    return FakeEndpoint(lambda _m: text, name="local", kind="local", delay_s=delay_s)


def team_chat(runtime: Runtime) -> ChatViewModel:
    vm = ChatViewModel(runtime)
    vm.set_team_mode(True)
    return vm


async def test_team_mode_answers_in_a_team_bubble_with_live_steps_and_the_messages(
    fake_runtime: RuntimeFactory,
) -> None:
    # The delay keeps the three agents' calls in flight together, as real models do.
    async with fake_runtime(local(delay_s=0.01)) as runtime:
        vm = team_chat(runtime)
        progress: list[str] = []
        vm.on_change = lambda: progress.append(vm.messages[-1].text) if vm.busy else None
        await vm.send("What is 3+4?")
    assert "round 1: broadcast, critique and revise · 3 agents answering…" in progress
    question, reply = vm.messages
    assert (question.role, question.text) == ("user", "What is 3+4?")
    assert (reply.role, reply.badge, reply.text, reply.status) == (
        "assistant",
        "team",
        "the answer is 7",
        "complete",
    )
    assert reply.route == "team · debate over mesh · local, local, local"
    assert reply.stats.startswith("complete · consensus of 3 agents after 1 round(s)")
    assert "tok in all · $0.0000 · " in reply.stats and reply.stats.endswith(" s")
    detail = reply.detail
    assert detail is not None and detail.badge == "team"
    assert detail.team_caption == "6 messages, 24 tokens between agents:"
    assert detail.team_messages[0] == "a1 -> a2 · 4 tok: the answer is 7"
    assert detail.sent == ("agent a1 (local)", "agent a2 (local)", "agent a3 (local)")
    assert not vm.busy and vm.error is None and vm.status == "ready"


async def test_the_detail_panel_lists_the_messages_between_agents(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        vm = team_chat(runtime)
        await vm.send("What is 3+4?")
    panel = TurnDetailPanel(on_close=lambda: None)
    panel.show(vm.messages[-1].detail)
    texts = [c.value for c in panel.body.controls if isinstance(c, ft.Text)]
    assert "Messages between agents" in texts
    shown = [c.content.value for c in panel.body.controls if isinstance(c, ft.Container)]
    assert "a1 -> a2 · 4 tok: the answer is 7" in shown


async def test_the_team_turn_is_in_the_chat_session_and_reloads_after_a_restart(
    fake_runtime: RuntimeFactory,
) -> None:
    seen: list[Sequence[Message]] = []

    def recording(messages: Sequence[Message]) -> str:
        seen.append(messages)
        return "the answer is 7"

    endpoint = FakeEndpoint(recording, name="local", kind="local")
    async with fake_runtime(endpoint) as runtime:
        vm = team_chat(runtime)
        await vm.send("What is 3+4?")
        [turn] = runtime.ledger.turns(vm.session_id)
        assert turn.route is not None and turn.route.policy == "team"
        assert (turn.user_text, turn.answer) == ("What is 3+4?", "the answer is 7")
        # Team off: a single-model turn in the same conversation sees the team's turn.
        vm.set_team_mode(False)
        seen.clear()
        await vm.send("And times 2?")
        history = [(m.role, m.content) for m in seen[-1]]
        assert ("user", "What is 3+4?") in history
        # Other agents wrote it: it comes under the team heading, marked as data.
        [(_, answer)] = [m for m in history if m[0] == "assistant"]
        assert answer.startswith(f"{TEAM_HEADING}\n<<data ")
        assert "\nthe answer is 7\n<<end data " in answer
        assert vm.messages[-1].badge == "device"
        session = vm.session_id
    async with fake_runtime(local()) as runtime:
        fresh = ChatViewModel(runtime)
        fresh.load_history()
    assert fresh.session_id == session
    assert [(m.role, m.text, m.badge) for m in fresh.messages[:2]] == [
        ("user", "What is 3+4?", ""),
        ("assistant", "the answer is 7", "team"),
    ]
    detail = fresh.messages[1].detail
    assert detail is not None and detail.team_caption == NOT_KEPT
    assert detail.reason.startswith("debate over mesh with 3 agents")


async def test_stop_cancels_the_team_and_the_chat_stays_usable(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local("a b c d e f g h", delay_s=0.01)) as runtime:
        vm = team_chat(runtime)
        vm.team.config.rounds = 4
        answering = asyncio.Event()
        vm.on_change = lambda: answering.set() if "answering" in vm.messages[-1].text else None
        task = asyncio.create_task(vm.send("q"))
        await answering.wait()
        vm.on_change = None
        vm.stop()
        await task
        reply = vm.messages[-1]
        assert (reply.status, reply.badge) == ("cancelled", "team")
        assert reply.text == "The team was stopped before it answered." and "stopped" in reply.stats
        assert not vm.busy and vm.error is None
        assert runtime.ledger.turns(vm.session_id) == []  # nothing finished, nothing recorded
        vm.set_team_mode(False)
        await vm.send("hello")
        assert vm.messages[-1].text == "a b c d e f g h" and vm.messages[-1].badge == "device"


async def test_a_team_whose_agents_all_fail_shows_an_error_and_the_chat_goes_on(
    fake_runtime: RuntimeFactory,
) -> None:
    broken = True

    def flaky(_messages: Sequence[Message]) -> str:
        if broken:
            raise RuntimeError("the model fell over")
        return "fine"

    async with fake_runtime(FakeEndpoint(flaky, name="local", kind="local")) as runtime:
        vm = team_chat(runtime)
        await vm.send("What is 3+4?")
        error = vm.messages[-1]
        assert error.role == "error" and error.badge == "team"
        assert error.text == (
            "the team found no answer: every agent failed to answer — try again, "
            "change the team in the Team section, or switch Team off"
        )
        assert vm.error == error.text and not vm.busy
        assert runtime.ledger.turns(vm.session_id) == []
        broken = False
        await vm.send("Try again")
        assert (vm.messages[-1].text, vm.messages[-1].badge) == ("fine", "team")
        assert vm.error is None and vm.status == "ready"


async def test_an_unknown_agent_is_a_clear_error_in_the_bubble(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        vm = team_chat(runtime)
        vm.team.config.agents[1] = "claude"
        await vm.send("hi")
    assert vm.messages[-1].role == "error"
    assert "no endpoint or endpoint kind named 'claude'" in vm.messages[-1].text


async def test_team_mode_off_by_default_and_attachments_are_refused_while_on(
    fake_runtime: RuntimeFactory, tmp_path: object
) -> None:
    async with fake_runtime(local()) as runtime:
        vm = ChatViewModel(runtime)
        assert not vm.team.enabled
        await vm.send("hi")
        assert vm.messages[-1].badge == "device"
        vm.set_team_mode(True)
        await vm.attachments.add_file("notes.txt", data=b"plain notes")
        await vm.send("summarise")
    assert vm.error is not None and vm.error.startswith("Team mode answers text only")
    assert len(vm.messages) == 2 and len(vm.attachments.chips) == 1


async def test_the_team_section_and_the_chat_share_one_team_setup(
    fake_runtime: RuntimeFactory,
) -> None:
    config = TeamConfig()
    async with fake_runtime(local()) as runtime:
        section = TeamViewModel(runtime, config=config)
        chat = ChatViewModel(runtime, team_config=config)
        section.pattern, section.topology = "divide", "star"
        section.add_agent()
        assert chat.team.config is config
        assert (
            chat.team.placeholder == "Ask the team (divide over star · local, local, local, local)…"
        )


async def test_the_switch_turns_team_mode_on_and_the_view_shows_it(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local()) as runtime:
        vm = ChatViewModel(runtime)
        view = ChatView(cast(ft.Page, RecordingPage()), vm)
        view.render()
        assert view.team_switch.value is False and "Team mode" in str(view.team_switch.tooltip)
        view._on_team(
            cast(ft.Event[ft.Switch], SimpleNamespace(control=SimpleNamespace(value=True)))
        )
        assert vm.team.enabled
        view.render()
        assert view.team_switch.value is True
        assert view.input.hint_text == "Ask the team (debate over mesh · local, local, local)…"
        vm.on_change = view.render
        await vm.send("What is 3+4?")
    assert [b.body.value for b in view._bubbles] == ["What is 3+4?", "the answer is 7"]
    assert view._bubbles[1].badge_text.value == "team" and view._bubbles[1].details.visible


async def test_the_shell_gives_the_chat_and_the_team_section_one_setup(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.gui.shell import view as shell_module
    from tests.app.gui.shell.test_view import mounted

    built_with: list[TeamConfig | None] = []

    def build_team_view(
        page: ft.Page, runtime: Runtime, config: TeamConfig | None = None
    ) -> ft.Control:
        built_with.append(config)
        return ft.Text("Team")

    monkeypatch.setattr(shell_module, "build_team_view", build_team_view)
    async with fake_runtime(local()) as runtime:
        shell = mounted(runtime, 1280)
        shell.vm.select(shell.vm.index_of("team"))
    assert built_with == [shell.team_config]
    assert shell.chat.vm.team.config is shell.team_config
