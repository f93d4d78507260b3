"""Front ends show why a cascade escalated, and only the escalated answer."""

import io
from collections.abc import AsyncGenerator
from types import SimpleNamespace

from app.cli.chat import answer
from router.endpoints.base import TokenDelta
from router.turn.events import (
    EscalationStarted,
    RouteChosen,
    ToolCalled,
    ToolResultKeptLocal,
    TurnEvent,
    TurnFinished,
)
from router.types import RouteDecision, ToolCall, ToolResult, Turn, TurnRequest

LOCAL = RouteDecision(endpoint="local", endpoint_kind="local", policy="cascade", reason="cascade")
CLOUD = LOCAL.model_copy(
    update={
        "endpoint": "claude",
        "endpoint_kind": "cloud",
        "reason": "local confidence 0.30 < 0.60: escalated to claude",
    }
)


async def _events(request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
    yield RouteChosen(turn_id="t", decision=LOCAL, input_tokens=3, dropped_turns=0)
    yield EscalationStarted(
        decision=CLOUD, reason=CLOUD.reason, confidence=0.3, withdrawn_text="unsure draft"
    )
    yield TokenDelta(text="Paris.")
    turn = Turn(session_id="s", seq=0, user_text=request.text, answer="Paris.", route=CLOUD)
    yield TurnFinished(turn=turn.model_copy(update={"status": "complete"}))


async def test_the_terminal_says_why_it_escalated_and_prints_only_the_final_answer() -> None:
    runtime = SimpleNamespace(pipeline=SimpleNamespace(run_turn=_events))
    out, info = io.StringIO(), io.StringIO()
    finished = await answer(runtime, TurnRequest(text="capital?", session_id="s"), out, info)  # type: ignore[arg-type]
    assert out.getvalue().strip() == "Paris."
    assert "unsure draft" not in out.getvalue()
    assert "escalated to claude" in info.getvalue()
    assert finished is not None and finished.route == CLOUD


async def _tool_events(request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
    local = LOCAL.model_copy(update={"reason": "kept local: contains a card number"})
    yield RouteChosen(turn_id="t", decision=CLOUD, input_tokens=3, dropped_turns=0)
    call = ToolCall(id="c1", name="files__read", arguments={"path": "notes/card.txt"})
    yield ToolCalled(call=call, result=ToolResult(call_id="c1", content="4111 1111 1111 1111"))
    yield ToolResultKeptLocal(decision=local, reason="contains a card number")
    yield TokenDelta(text="Done.")
    turn = Turn(session_id="s", seq=0, user_text=request.text, answer="Done.", route=local)
    yield TurnFinished(turn=turn.model_copy(update={"status": "complete"}))


async def test_the_terminal_names_each_tool_call_and_a_result_kept_local() -> None:
    runtime = SimpleNamespace(pipeline=SimpleNamespace(run_turn=_tool_events))
    out, info = io.StringIO(), io.StringIO()
    await answer(runtime, TurnRequest(text="read my notes", session_id="s"), out, info)  # type: ignore[arg-type]
    assert "[tool files__read: done]" in info.getvalue()
    assert "contains a card number: finishing on this device" in info.getvalue()
    assert "4111" not in out.getvalue() + info.getvalue()  # the result itself is not printed


async def _refused_events(request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
    yield RouteChosen(turn_id="t", decision=LOCAL, input_tokens=3, dropped_turns=0)
    notice = "mail__send was not sent: the call contains a card number, which ..."
    call = ToolCall(id="c1", name="mail__send", arguments={"body": "4111 1111 1111 1111"})
    result = ToolResult(call_id="c1", content=notice, is_error=True)
    yield ToolCalled(call=call, result=result, notice=notice)
    turn = Turn(session_id="s", seq=0, user_text=request.text, answer="", route=LOCAL)
    yield TurnFinished(turn=turn.model_copy(update={"status": "complete"}))


async def test_the_terminal_says_why_a_tool_call_was_not_sent() -> None:
    runtime = SimpleNamespace(pipeline=SimpleNamespace(run_turn=_refused_events))
    out, info = io.StringIO(), io.StringIO()
    await answer(runtime, TurnRequest(text="mail my card", session_id="s"), out, info)  # type: ignore[arg-type]
    assert "[mail__send was not sent: the call contains a card number" in info.getvalue()
    assert "4111" not in out.getvalue() + info.getvalue()
