"""The chat's route badges, detail panel and attachment chips, against the real pipeline.

The detectors are a small regex (the real NER takes seconds to load); the rules,
the redaction, the routing and the ledger are the real ones.
"""

import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import flet as ft
import pytest

from app.gui.chat.detail.model import build_detail
from app.gui.chat.detail.view import TurnDetailPanel
from app.gui.chat.messages import DisplayMessage, messages_for_turn
from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.ledger.sent import SentRequest
from router.ledger.store import Ledger
from router.paths import TandemPaths
from router.privacy.detectors.base import FunctionDetector
from router.privacy.redact import Pseudonymizer
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.runtime.compose import Runtime, build_runtime
from router.types import Finding, Message, RouteDecision, ToolCall, ToolResult

EMAIL = re.compile(r"[\w.]+@[\w.]+\.\w+")
SECRET_RULE = PrivacyRule(
    name="bluebird",
    keywords=["bluebird"],
    action="keep_local",
    reason="mentions project bluebird",
)


def email_detector(text: str) -> list[Finding]:
    return [
        Finding(type="EMAIL_ADDRESS", start=m.start(), end=m.end(), confidence=1.0, detector="re")
        for m in EMAIL.finditer(text)
    ]


def sent_text(endpoint: FakeEndpoint) -> str:
    """Everything an endpoint was sent, as one string."""
    return "\n".join(m.content for request in endpoint.requests for m in request)


def answer_cloud(messages: Sequence[Message]) -> str:
    return "the cloud answers"


@pytest.fixture
async def cloud_runtime(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    """A runtime that prefers a (fake) cloud endpoint, with the default rules plus one."""
    monkeypatch.setenv("TANDEM_ROUTING__POLICY", "prefer_remote")
    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "cloud": FakeEndpoint(answer_cloud, name="cloud", kind="cloud", price_per_token_usd=1e-5),
    }
    runtime = build_runtime(tandem_home, endpoints=endpoints)  # type: ignore[arg-type]
    runtime.pipeline.scanner = Scanner(
        rules=build_rules([SECRET_RULE]), detectors=[FunctionDetector(email_detector)]
    )
    try:
        yield runtime
    finally:
        await runtime.aclose()


def cloud_of(runtime: Runtime) -> FakeEndpoint:
    endpoint = runtime.pipeline.endpoints["cloud"]
    assert isinstance(endpoint, FakeEndpoint)
    return endpoint


async def test_a_redacted_cloud_turn_shows_what_left_the_device(cloud_runtime: Runtime) -> None:
    vm = ChatViewModel(cloud_runtime)
    await vm.send("Write to ana.lopez@example.com about lunch")

    answer = vm.messages[-1]
    assert answer.text == "the cloud answers"
    assert answer.badge == "redacted → cloud"
    assert answer.cost.startswith("$") and answer.cost != "$0.0000"
    detail = answer.detail
    assert detail is not None
    assert detail.endpoint == "cloud" and "redacted then sent" in detail.reason
    assert detail.privacy == "redacted before sending: EMAIL_ADDRESS"
    # The panel shows the question as it left: the placeholder, never the address.
    assert detail.sent_text is not None and "ana.lopez@example.com" not in detail.sent_text
    placeholder = re.search(r"\[EMAIL\w*_1\]", detail.sent_text)
    assert placeholder is not None
    # ... and it is exactly what the endpoint received.
    assert detail.sent_text in sent_text(cloud_of(cloud_runtime))
    assert "ana.lopez@example.com" not in sent_text(cloud_of(cloud_runtime))
    assert detail.kept_local == (f"ana.lopez@example.com (sent as {placeholder.group(0)})",)
    # The whole request is listed too, message for message as the endpoint got it.
    [request] = cloud_of(cloud_runtime).requests
    assert detail.sent_messages == tuple(f"{m.role}: {m.content}" for m in request)
    assert not any("ana.lopez@example.com" in line for line in detail.sent_messages)
    assert any(line.startswith("cost $") for line in detail.numbers)

    vm.show_detail(len(vm.messages) - 1)
    assert vm.detail is answer
    vm.show_detail(0)  # a question has no detail: the panel stays on the answer
    assert vm.detail is answer
    vm.show_detail(None)
    assert vm.detail is None


async def test_a_keep_local_turn_says_so_and_sends_nothing(cloud_runtime: Runtime) -> None:
    vm = ChatViewModel(cloud_runtime)
    await vm.send("Summarise the bluebird plan")

    answer = vm.messages[-1]
    assert answer.badge == "device" and answer.cost == "free (on this device)"
    assert "kept local: mentions project bluebird" in answer.route
    detail = answer.detail
    assert detail is not None and detail.sent_text is None
    assert detail.privacy == "kept on this device: mentions project bluebird"
    assert detail.sent == ("nothing: the turn was answered on this device",)
    assert detail.sent_messages == ()
    assert cloud_of(cloud_runtime).requests == []


async def test_details_survive_a_restart(cloud_runtime: Runtime) -> None:
    first = ChatViewModel(cloud_runtime)
    await first.send("Mail ana.lopez@example.com")
    again = ChatViewModel(cloud_runtime)
    again.load_history()
    reloaded = again.messages[-1]
    assert reloaded.badge == "redacted → cloud"
    assert reloaded.detail is not None
    assert reloaded.detail.sent_text == first.messages[-1].detail.sent_text  # type: ignore[union-attr]


def _reloaded(runtime: Runtime, session_id: str) -> list[DisplayMessage]:
    """The conversation's bubbles as a restarted Tandem builds them, from a fresh ledger."""
    ledger = Ledger(runtime.ledger.path)
    recorded = ledger.sent.for_session(session_id)
    shown = [
        bubble
        for turn in ledger.turns(session_id)
        for bubble in messages_for_turn(
            turn,
            runtime.pipeline.pseudonyms.values(session_id),
            Pseudonymizer(runtime.pipeline.pseudonyms, session_id).redact(turn.user_text),
            recorded.get(turn.id, ()),
        )
    ]
    ledger.close()
    return shown


async def test_a_reloaded_turn_lists_the_recorded_request_like_a_live_one(
    cloud_runtime: Runtime,
) -> None:
    vm = ChatViewModel(cloud_runtime)
    await vm.send("Write to ana.lopez@example.com about lunch")
    await vm.send("and invite her team")
    live = vm.messages[-1].detail
    assert live is not None and live.sent_messages

    reloaded = _reloaded(cloud_runtime, vm.session_id)[-1].detail
    assert reloaded is not None
    # The same request, message by message, as the endpoint got it: history redacted too.
    assert reloaded.sent_messages == live.sent_messages
    assert reloaded.sent_messages == tuple(
        f"{m.role}: {m.content}" for m in cloud_of(cloud_runtime).requests[-1]
    )
    assert not any("ana.lopez@example.com" in line for line in reloaded.sent_messages)
    assert reloaded.sent_caption == live.sent_caption == "The whole request, exactly as it left:"
    assert not reloaded.sent_text_rebuilt and not live.sent_text_rebuilt
    # Nothing else the panel shows differs, but the prompt's size (only the live event has it).
    assert replace(reloaded, sent=live.sent) == live


async def test_a_new_chat_view_opening_the_conversation_shows_the_recorded_request(
    cloud_runtime: Runtime,
) -> None:
    vm = ChatViewModel(cloud_runtime)
    await vm.send("Write to ana.lopez@example.com about lunch")
    live = vm.messages[-1].detail
    assert live is not None and live.sent_messages

    after_restart = ChatViewModel(cloud_runtime)  # a new window reads the ledger
    after_restart.load_history()
    reopened = after_restart.messages[-1].detail
    assert reopened is not None
    assert reopened.sent_messages == live.sent_messages
    assert not reopened.sent_text_rebuilt
    assert not any("ana.lopez@example.com" in line for line in reopened.sent_messages)


async def test_a_turn_from_before_the_record_shows_its_question_as_rebuilt(
    cloud_runtime: Runtime,
) -> None:
    vm = ChatViewModel(cloud_runtime)
    await vm.send("Mail ana.lopez@example.com")
    with sqlite3.connect(cloud_runtime.ledger.path) as conn:  # as an older Tandem left it
        conn.execute("DELETE FROM sent_requests")
    detail = _reloaded(cloud_runtime, vm.session_id)[-1].detail
    assert detail is not None and detail.sent_messages == () and detail.sent_caption == ""
    assert detail.sent_text_rebuilt
    assert detail.sent_text is not None and "ana.lopez@example.com" not in detail.sent_text
    panel = TurnDetailPanel(on_close=lambda: None)
    panel.show(detail)
    texts = _panel_texts(panel)
    assert any(t.startswith("The question as it left this device, rebuilt") for t in texts)
    assert detail.sent_text in texts
    assert not any(t.startswith("The whole request") for t in texts)


async def test_the_panel_renders_a_reloaded_request_message_by_message(
    cloud_runtime: Runtime,
) -> None:
    vm = ChatViewModel(cloud_runtime)
    await vm.send("Write to ana.lopez@example.com about lunch")
    detail = _reloaded(cloud_runtime, vm.session_id)[-1].detail
    assert detail is not None
    panel = TurnDetailPanel(on_close=lambda: None)
    panel.show(detail)
    texts = _panel_texts(panel)
    start = texts.index("The whole request, exactly as it left:")
    assert tuple(texts[start + 1 : start + 1 + len(detail.sent_messages)]) == detail.sent_messages
    assert "The question as it left this device:" in texts


def test_a_turn_with_tool_rounds_lists_its_last_recorded_request_and_says_so() -> None:
    decision = RouteDecision(endpoint="claude", endpoint_kind="cloud", policy="p", reason="r")
    asked = (Message(role="user", content="what is Alice's address?"),)
    call = ToolCall(id="c1", name="contacts__read", arguments={"who": "Alice"})
    answered = (
        *asked,
        Message(role="assistant", content="Let me check.", tool_calls=(call,)),
        Message(role="user", content="", tool_results=(ToolResult(call_id="c1", content="x"),)),
    )
    recorded = [
        SentRequest(
            turn_id="t", seq=i, endpoint="claude", kind="route", tool_round=i,
            sent_at=datetime.now(UTC), messages=messages,
        )
        for i, messages in enumerate((asked, answered))
    ]  # fmt: skip
    detail = build_detail(
        user_text="what is Alice's address?",
        attachments=(),
        decision=decision,
        usage=None,
        status="complete",
        placeholders={},
        sent_text="what is Alice's address?",
        sent_messages=asked,  # the live event has only the first request
        recorded=recorded,
    )
    assert detail.sent_messages == (
        "user: what is Alice's address?",
        'assistant: Let me check.\n[tool call contacts__read {"who": "Alice"}]',
        "user: \n[tool result: x]",
    )
    assert detail.sent_caption == (
        "The whole request, exactly as it left "
        "(the last of 2 requests: each resent the one before, with a tool round added):"
    )


def _panel_texts(panel: TurnDetailPanel) -> list[str]:
    """Every text the panel shows, in order, whether plain or in a monospace box."""
    texts = []
    for control in panel.body.controls:
        inner = control.content if isinstance(control, ft.Container) else control
        if isinstance(inner, ft.Text) and isinstance(inner.value, str):
            texts.append(inner.value)
    return texts


async def test_attachment_chips_say_what_is_sent_and_what_stays(
    cloud_runtime: Runtime, tmp_path: Path
) -> None:
    vm = ChatViewModel(cloud_runtime)
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting at noon")
    await vm.attachments.add_file("notes.txt", path=str(notes))
    await vm.attachments.add_file("plan.txt", data=b"the bluebird launch plan")

    labels = [c.label for c in vm.attachments.chips]
    assert labels == ["notes.txt · will be sent", "plan.txt · stays local"]
    kept = vm.attachments.chips[1]
    assert kept.note == "stays on this device: mentions project bluebird"
    # Bytes from a browser are saved under the data folder for the pipeline to read.
    assert kept.attachment.path is not None
    assert Path(kept.attachment.path).read_bytes() == b"the bluebird launch plan"
    assert Path(kept.attachment.path).is_relative_to(cloud_runtime.paths.data_dir)

    await vm.send("what do these say?")
    question = vm.messages[-2]
    # The plan keeps the whole turn local, so neither file left the device.
    assert [c.verdict for c in question.chips] == ["not_sent", "not_sent"]
    assert vm.attachments.chips == []
    assert cloud_of(cloud_runtime).requests == []
    [turn] = cloud_runtime.ledger.turns(vm.session_id)
    assert [a.name for a in turn.attachments] == ["notes.txt", "plan.txt"]


async def test_a_sent_attachment_chip_says_sent(cloud_runtime: Runtime, tmp_path: Path) -> None:
    vm = ChatViewModel(cloud_runtime)
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting at noon")
    await vm.attachments.add_file("notes.txt", path=str(notes))
    vm.attachments.remove("missing.txt")  # removing an unknown name changes nothing
    assert len(vm.attachments.chips) == 1

    await vm.send("what does it say?")
    [chip] = vm.messages[-2].chips
    assert chip.verdict == "sent" and chip.label == "notes.txt · sent"
    assert vm.messages[-1].detail is not None
    assert "attachment notes.txt" in vm.messages[-1].detail.sent


async def test_a_stopped_turn_still_gets_its_badge_and_details(
    fake_runtime: Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]],
) -> None:
    slow = FakeEndpoint(
        lambda m: " ".join(["word"] * 200), name="local", kind="local", delay_s=0.001
    )
    async with fake_runtime(slow) as runtime:
        vm = ChatViewModel(runtime)

        def stop_after_first_token() -> None:
            if vm.busy and vm.messages[-1].text:
                vm.stop()

        vm.on_change = stop_after_first_token
        await vm.send("a long story please")
        answer = vm.messages[-1]
        assert answer.status == "cancelled" and answer.badge == "device"
        assert answer.detail is not None
        assert answer.detail.numbers == ("no usage recorded (the turn is cancelled)",)
