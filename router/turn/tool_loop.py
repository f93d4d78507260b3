"""Stage `endpoint.stream` with tools: one attempt's answer as a flat loop over rounds.

Each round streams one generation; when the model asks for tools they run on the
device through the host, and their results go back in the next round, for at
most `max_rounds` rounds. Each round's results are scanned: their protected
values are guarded at egress for the rest of the turn, redact values reach an
off-device endpoint only as placeholders, and a result a rule keeps where the
attempt may not go (kept local off the device; kept on the user's devices in the
cloud) ends the attempt with `Outcome.move_local` (the pipeline hands the turn
to the device).

A call to a tool on another machine (an HTTP MCP server) is an outbound request:
its arguments are scanned and redacted like one, and a value a rule keeps local
or on the user's devices refuses it (router/mcp/off_device.py: a tool server is
never one of the user's devices); so does any such text in the turn's context,
found or not in the arguments (`kept_local_source`). Tools on this device get
the real values.

Tool results, attached files, retrieved memory, a team's answer and the summary
are untrusted: a call asked for after such text has entered the context goes to
the host with where that text came from, so a side-effecting tool needs the
user's yes (router/mcp/untrusted.py), and tool results, attached text files,
retrieved memory and a team's answer reach the model as marked data
(router/turn/spotlight.py), unless the host's defences are off (measurements).

Each request to an off-device endpoint is recorded in the ledger once it has
left (`SentRecord.record`), exactly as it was sent, for the chat's detail panel.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from router.endpoints.base import StreamEnd, StreamEvent, TokenDelta, ToolCallRequested
from router.errors import EgressBlockedError
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.sent import SentRecord
from router.mcp.off_device import PreparedCall, kept_turn_refusal, prepare_off_device
from router.mcp.select import relevant_servers_tools
from router.mcp.turn import ToolCalled, exchange, restored_call
from router.privacy import egress
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer, StreamRestorer
from router.privacy.scan import Scanner
from router.privacy.zones import KEPT, kept_in, may_reach, stricter
from router.turn.attempt import (
    Attempt,
    Outcome,
    Round,
    TurnState,
    outbound_bytes,
    with_action,
)
from router.turn.events import TurnEvent
from router.turn.spotlight import (
    context_sources,
    described,
    result_source,
    spotlighted,
    spotlighted_files,
)
from router.types import GenerationOptions, Message, ToolCall, ToolResult, ToolSpec, Zone

if TYPE_CHECKING:
    from router.mcp.host import ToolHost


@dataclass
class ToolLoop:
    """Streams an attempt's answer and runs the tools it asks for, round after round."""

    generation: GenerationOptions
    tools: ToolHost | None
    max_rounds: int
    offer_all_tools: bool
    egress_policy: EgressPolicy
    pseudonyms: PseudonymStore
    scanner: Scanner
    sent: SentRecord

    async def run(
        self, state: TurnState, attempt: Attempt, outcome: Outcome, turn_guard: AsyncExitStack
    ) -> AsyncGenerator[TurnEvent, None]:
        """Stream the attempt's rounds into `outcome`; `turn_guard` holds tool-result guards.

        The caller holds the attempt's own guard (`attempt_scope`) around this.
        """
        attempt = self._with_marked_files(state, attempt, turn_guard)
        while True:
            attempt = self._with_pseudonymizer(state, attempt)
            this = Round()
            async with aclosing(self._stream_round(state, attempt, this)) as deltas:
                async for delta in deltas:
                    outcome.parts.append(delta.text)
                    yield delta
            outcome.end = this.end
            if not self._wants_another_round(state, this):
                return
            async for called in self._run_tools(state, attempt, this):
                yield called
            state.report = self.scanner.scan(state.request, state.scanned())
            turn_guard.enter_context(self.egress_policy.protect(state.report.protected))
            attempt = with_action(attempt, state.report.action)
            outcome.decision = attempt.decision
            if not may_reach(state.report.action, attempt.endpoint.zone):
                outcome.move_local = True  # the rest of the turn runs on the device
                return

    def _wants_another_round(self, state: TurnState, this: Round) -> bool:
        """Whether the model asked for tools and the turn may still run them."""
        end = this.end
        if not this.calls or end is None or end.finish_reason == "cancelled":
            return False  # answered or stopped
        return state.tool_rounds < self.max_rounds

    def offered_tools(self, attempt: Attempt) -> tuple[ToolSpec, ...]:
        """The tools this turn is offered (the same every round: APIs reject tool history
        without them): all of the host's, or those its question is about."""
        if self.tools is None:
            return ()
        if self.offer_all_tools:
            return self.tools.tools()
        question = next(
            (m.content for m in reversed(attempt.packed.messages) if m.role == "user"), ""
        )
        return relevant_servers_tools(self.tools.tools(), question)

    async def _stream_round(
        self, state: TurnState, attempt: Attempt, out: Round
    ) -> AsyncGenerator[TokenDelta, None]:
        """One generation: its text as it comes (placeholders restored); calls and end to `out`."""
        restorer = attempt.pseudonymizer.restorer() if attempt.pseudonymizer else None
        offered = self.offered_tools(attempt)
        async with aclosing(self._endpoint_stream(state, attempt, offered)) as events:
            async for event in events:
                if text := _shown(event, out, restorer, offered):
                    yield TokenDelta(text=text)
        tail = restorer.flush() if restorer else ""
        if tail:
            out.said.append(tail)
            yield TokenDelta(text=tail)

    def _endpoint_stream(
        self, state: TurnState, attempt: Attempt, offered: tuple[ToolSpec, ...]
    ) -> AsyncGenerator[StreamEvent, None]:
        """The endpoint's raw stream for this round, recorded once an off-device request left."""
        messages = self._round_messages(state, attempt)
        # Without tools the call is exactly as before tools existed (some endpoints predate them).
        stream = (
            attempt.endpoint.stream(messages, self.generation, offered)
            if offered
            else attempt.endpoint.stream(messages, self.generation)
        )
        if attempt.endpoint.on_device:
            return stream
        turn_id, kind = state.turn_id, attempt.sent_kind
        name, tool_round = attempt.endpoint.name, state.tool_rounds
        return recorded_when_sent(
            stream,
            lambda: self.sent.record(
                turn_id, endpoint=name, kind=kind, tool_round=tool_round, messages=messages
            ),
        )

    async def _run_tools(
        self, state: TurnState, attempt: Attempt, this: Round
    ) -> AsyncGenerator[ToolCalled, None]:
        """Run one round's calls in order and record the round; the host never raises."""
        assert self.tools is not None  # tools were offered, so there is a host
        # Every call of this round was asked for after the untrusted text seen so far.
        followed = described([*context_sources(attempt.packed.messages), *state.untrusted])
        ran: list[ToolCall] = []
        results: list[ToolResult] = []
        for requested in this.calls:
            prepared = self._prepared(state, attempt, requested)
            call = prepared.call
            if prepared.refusal is not None:
                result = ToolResult(call_id=call.id, content=prepared.refusal, is_error=True)
            else:
                # An HTTP server's guarded client blocks arguments carrying protected values.
                with self.egress_policy.protect([*state.report.protected, *prepared.protected]):
                    result = await self.tools.call(call, followed=followed)
            ran.append(call)
            results.append(result)
            yield ToolCalled(call=call, result=result, notice=prepared.refusal)
        state.tool_rounds += 1
        state.tool_messages += exchange("".join(this.said), ran, results)
        state.untrusted += [result_source(call) for call in ran]

    def _prepared(self, state: TurnState, attempt: Attempt, requested: ToolCall) -> PreparedCall:
        """The call as its tool gets it: real values on this device; scanned and
        redacted for another machine (router/mcp/off_device.py)."""
        assert self.tools is not None
        if not self.tools.off_device(requested.name):
            return PreparedCall(restored_call(requested, attempt.pseudonymizer))
        pseudonymizer = attempt.pseudonymizer or Pseudonymizer(
            self.pseudonyms, state.request.session_id
        )
        pseudonymizer.register(state.report.redact_values)
        kept = [p for p in state.report.protected if p.action in KEPT]
        prepared = prepare_off_device(requested, self.scanner, pseudonymizer, kept)
        held = kept_local_source(state, attempt)
        if prepared.refusal is None and held is not None:
            refusal = kept_turn_refusal(requested.name, *held)
            return PreparedCall(requested, refusal, prepared.protected)
        return prepared

    @property
    def _marks_data(self) -> bool:
        """Whether untrusted text is marked as data (always, unless the host turned it off)."""
        return self.tools is None or self.tools.injection_defences

    def _with_marked_files(
        self, state: TurnState, attempt: Attempt, turn_guard: AsyncExitStack
    ) -> Attempt:
        """The attempt with its attached text files as marked copies, kept until the turn ends."""
        if not self._marks_data or not any(m.attachments for m in attempt.packed.messages):
            return attempt
        folder = turn_guard.enter_context(tempfile.TemporaryDirectory(prefix="tandem-data-"))
        messages = spotlighted_files(attempt.packed.messages, state.marker, folder)
        return replace(attempt, packed=attempt.packed.model_copy(update={"messages": messages}))

    def _with_pseudonymizer(self, state: TurnState, attempt: Attempt) -> Attempt:
        """An off-device attempt with tool rounds gets placeholders for their redact values."""
        if not state.tool_messages or attempt.endpoint.on_device:
            return attempt
        pseudonymizer = attempt.pseudonymizer or Pseudonymizer(
            self.pseudonyms, state.request.session_id
        )
        pseudonymizer.register(state.report.redact_values)
        return replace(attempt, pseudonymizer=pseudonymizer)

    def _round_messages(self, state: TurnState, attempt: Attempt) -> tuple[Message, ...]:
        """What the endpoint gets this round: the packed context, then the tool rounds.

        Off-device, every message is redacted again (a tool result may have
        brought new values) and the whole request checked before it is sent.
        """
        messages = (*attempt.packed.messages, *state.tool_messages)
        if self._marks_data:
            messages = spotlighted(messages, state.marker)
        if not state.tool_messages or attempt.endpoint.on_device:
            return messages
        if attempt.pseudonymizer is not None:
            messages = tuple(attempt.pseudonymizer.redact_message(m) for m in messages)
        packed = attempt.packed.model_copy(update={"messages": messages})
        egress.check_outbound(outbound_bytes(packed), state.report, attempt.endpoint.zone)
        return messages


def kept_local_source(state: TurnState, attempt: Attempt) -> tuple[str, Zone] | None:
    """Why the attempt's context holds text a rule keeps off other machines' tools, and the
    zone it is kept in (this device, or the user's devices); None when it holds none.

    The whole turn counts, not only its values: a rule may keep text for where it
    came from or what it is about, and nothing would recognise a copy of it.
    """
    action = stricter(state.report.action, attempt.decision.privacy_action)
    if action in KEPT:
        source = f"rule: {state.report.rule}" if state.report.rule else "kept local"
        return source, kept_in(action)
    if attempt.packed.holds_kept_local:
        return "an earlier turn of this conversation", attempt.endpoint.zone
    return None


def _shown(
    event: StreamEvent, out: Round, restorer: StreamRestorer | None, offered: Sequence[ToolSpec]
) -> str:
    """The text `event` adds to the answer (placeholders restored); its call or end to `out`."""
    if isinstance(event, TokenDelta):
        text = restorer.feed(event.text) if restorer else event.text
        if text:
            out.said.append(text)
        return text
    if isinstance(event, StreamEnd):
        out.end = event
    elif isinstance(event, ToolCallRequested) and offered:
        out.calls.append(event.call)
    return ""


async def recorded_when_sent(
    stream: AsyncGenerator[StreamEvent, None], record: Callable[[], None]
) -> AsyncGenerator[StreamEvent, None]:
    """An endpoint's `stream`, calling `record` once, when its request has left the device.

    That is at its first event, or when it fails or is stopped before one (the
    request may have left by then). A request the egress guard blocked never
    left, so it is not recorded.
    """
    once = _Once(record)
    try:
        async with aclosing(stream) as events:
            async for event in events:
                once()
                yield event
    except EgressBlockedError:
        once.skip()  # blocked at the guard: it never left
        raise
    finally:
        once()  # failed or stopped before its first event: it may have left


class _Once:
    """Runs an action at most once, however many times it is called."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()

    def skip(self) -> None:
        """Never run the action."""
        self._action = None
