"""Streaming an attempt's answer, the tool loop inside it, and committing the turn.

Tool calls are run through the host and the results sent back, for at most
`max_tool_rounds` rounds. Each round's results are scanned: their protected
values are guarded at egress for the rest of the turn, redact values reach an
off-device endpoint only as placeholders, and a result a rule keeps local
moves the rest of the turn onto the device.

Each request to an off-device endpoint is recorded in the ledger once it has
left (`Ledger.sent`), exactly as it was sent, for the chat's detail panel.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from contextlib import ExitStack, aclosing
from dataclasses import replace

from router.endpoints.base import StreamEnd, TokenDelta, ToolCallRequested
from router.errors import EgressBlockedError, EndpointError, TandemError
from router.ledger.sent import SentKind, recorded_when_sent
from router.mcp.select import relevant_servers_tools
from router.mcp.turn import ToolCalled, ToolResultKeptLocal, exchange, restored_call
from router.privacy import egress
from router.privacy.redact import Pseudonymizer
from router.turn.attempt import (
    Attempt,
    Round,
    Rounds,
    failure_reason,
    is_remote,
    outbound_bytes,
    with_action,
)
from router.turn.core import PipelineCore
from router.turn.events import FallbackStarted, TurnEvent, TurnFinished
from router.types import (
    Message,
    PrivacyReport,
    ToolCall,
    ToolResult,
    ToolSpec,
    Turn,
    TurnRequest,
    TurnStatus,
)


class StreamingStages(PipelineCore):
    """The stages that stream: one attempt's answer with its tool rounds, then the ledger."""

    async def _stream_and_commit(
        self,
        turn: Turn,
        request: TurnRequest,
        history: Sequence[Message],
        attempt: Attempt,
        report: PrivacyReport,
        kind: SentKind = "route",
    ) -> AsyncGenerator[TurnEvent, None]:
        """Stream the attempt's answer, run the tools it asks for, and persist the turn.

        `kind` says, for the record of what left the device, whether the attempt
        is the turn's first route or a cascade's escalation.
        """
        parts: list[str] = []
        end: StreamEnd | None = None
        rounds = Rounds(protected=report.protected)
        sent = (turn.id, kind)
        try:
            # Protections a tool result adds hold until the turn ends, whichever endpoint.
            with ExitStack() as turn_guard:
                while True:
                    try:
                        with ExitStack() as stack:
                            stack.enter_context(self._protection(attempt))
                            if attempt.files is not None:
                                stack.enter_context(attempt.files)
                            while True:
                                attempt = self._with_pseudonymizer(request, attempt, rounds, report)
                                this = Round()
                                async with aclosing(
                                    self._stream_round(attempt, rounds, report, this, sent)
                                ) as deltas:
                                    async for delta in deltas:
                                        parts.append(delta.text)
                                        yield delta
                                end = this.end
                                if (
                                    not this.calls
                                    or end is None
                                    or end.finish_reason == "cancelled"
                                    or rounds.count >= self.max_tool_rounds
                                ):
                                    break  # answered, stopped, or out of rounds: the turn ends
                                async for tool_event in self._run_tools(this, attempt, rounds):
                                    yield tool_event
                                report = self._rescan(request, history, rounds, turn_guard)
                                attempt = with_action(attempt, report.action)
                                if report.keep_local and is_remote(attempt.endpoint):
                                    rounds.move_local = True
                                    break  # the rest of the turn runs on the device
                        if rounds.move_local:
                            rounds.move_local = False
                            attempt = await self._keep_local(request, history, attempt, report)
                            yield ToolResultKeptLocal(
                                decision=attempt.decision, reason=report.reason
                            )
                            continue
                        break
                    except (EndpointError, EgressBlockedError) as exc:
                        # Any off-device failure, a guard block included: the device can answer.
                        reason = failure_reason(exc)
                        replacement = await self._fallback(request, history, attempt, reason)
                        if replacement is None:
                            raise
                        replacement = with_action(replacement, report.action)
                        yield FallbackStarted(
                            decision=replacement.decision,
                            reason=reason,
                            withdrawn_text="".join(parts),
                        )
                        attempt, parts, end = replacement, [], None
        except (asyncio.CancelledError, GeneratorExit):
            self.ledger.finish_turn(
                turn.id,
                status="cancelled",
                answer="".join(parts),
                route=attempt.decision,
                usage=None,
            )
            raise
        except Exception as exc:
            message = str(exc) if isinstance(exc, TandemError) else f"{type(exc).__name__}: {exc}"
            self.ledger.finish_turn(
                turn.id,
                status="error",
                answer="".join(parts),
                route=attempt.decision,
                usage=None,
                error=message,
            )
            if isinstance(exc, TandemError):
                raise
            raise EndpointError(
                f"{attempt.endpoint.name} failed: {message}", "try again, or pick another model"
            ) from exc
        answer = "".join(parts)
        status: TurnStatus = (
            "cancelled" if end is None or end.finish_reason == "cancelled" else "complete"
        )
        usage = end.usage if end else None
        decision = attempt.decision
        if usage is not None and status == "complete":
            self.latency.observe(attempt.endpoint.name, usage)
        self.ledger.finish_turn(turn.id, status=status, answer=answer, route=decision, usage=usage)
        yield TurnFinished(
            turn=turn.model_copy(
                update={"answer": answer, "route": decision, "usage": usage, "status": status}
            )
        )

    def _offered_tools(self, attempt: Attempt) -> tuple[ToolSpec, ...]:
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
        self,
        attempt: Attempt,
        rounds: Rounds,
        report: PrivacyReport,
        out: Round,
        sent: tuple[str, SentKind],
    ) -> AsyncGenerator[TokenDelta, None]:
        """One generation: its text as it comes (placeholders restored); calls and end to `out`.

        `sent` (turn id, kind) names the record an off-device request is added to.
        """
        restorer = attempt.pseudonymizer.restorer() if attempt.pseudonymizer else None
        offered = self._offered_tools(attempt)
        messages = self._round_messages(attempt, rounds, report)
        # Without tools the call is exactly as before tools existed (some endpoints predate them).
        stream = (
            attempt.endpoint.stream(messages, self.generation, offered)
            if offered
            else attempt.endpoint.stream(messages, self.generation)
        )
        if is_remote(attempt.endpoint):
            turn_id, kind = sent
            name, tool_round = attempt.endpoint.name, rounds.count
            stream = recorded_when_sent(
                stream,
                lambda: self.ledger.sent.record(
                    turn_id, endpoint=name, kind=kind, tool_round=tool_round, messages=messages
                ),
            )
        async with aclosing(stream) as events:
            async for event in events:
                if isinstance(event, TokenDelta):
                    text = restorer.feed(event.text) if restorer else event.text
                    if text:
                        out.said.append(text)
                        yield TokenDelta(text=text)
                elif isinstance(event, StreamEnd):
                    out.end = event
                elif isinstance(event, ToolCallRequested) and offered:
                    out.calls.append(event.call)
        tail = restorer.flush() if restorer else ""
        if tail:
            out.said.append(tail)
            yield TokenDelta(text=tail)

    async def _run_tools(
        self, this: Round, attempt: Attempt, rounds: Rounds
    ) -> AsyncGenerator[ToolCalled, None]:
        """Run one round's calls in order and record the round; the host never raises."""
        assert self.tools is not None  # tools were offered, so there is a host
        ran: list[ToolCall] = []
        results: list[ToolResult] = []
        for requested in this.calls:
            call = restored_call(requested, attempt.pseudonymizer)
            # An HTTP server's guarded client blocks arguments carrying protected values.
            with self.egress_policy.protect(rounds.protected):
                result = await self.tools.call(call)
            ran.append(call)
            results.append(result)
            yield ToolCalled(call=call, result=result)
        rounds.count += 1
        rounds.messages += exchange("".join(this.said), ran, results)

    def _rescan(
        self,
        request: TurnRequest,
        history: Sequence[Message],
        rounds: Rounds,
        turn_guard: ExitStack,
    ) -> PrivacyReport:
        """The turn's privacy report with the tool results; their values guarded from now on."""
        scanned = [*history, *self._summary_messages(request), *rounds.messages]
        report = self.scanner.scan(request, scanned)
        rounds.protected = report.protected
        turn_guard.enter_context(self.egress_policy.protect(report.protected))
        return report

    def _with_pseudonymizer(
        self, request: TurnRequest, attempt: Attempt, rounds: Rounds, report: PrivacyReport
    ) -> Attempt:
        """An off-device attempt with tool rounds gets placeholders for their redact values."""
        if not rounds.messages or not is_remote(attempt.endpoint):
            return attempt
        pseudonymizer = attempt.pseudonymizer or Pseudonymizer(self.pseudonyms, request.session_id)
        pseudonymizer.register(report.redact_values)
        return replace(attempt, pseudonymizer=pseudonymizer)

    def _round_messages(
        self, attempt: Attempt, rounds: Rounds, report: PrivacyReport
    ) -> tuple[Message, ...]:
        """What the endpoint gets this round: the packed context, then the tool rounds.

        Off-device, every message is redacted again (a tool result may have
        brought new values) and the whole request checked before it is sent.
        """
        messages = (*attempt.packed.messages, *rounds.messages)
        if not rounds.messages or not is_remote(attempt.endpoint):
            return messages
        if attempt.pseudonymizer is not None:
            messages = tuple(attempt.pseudonymizer.redact_message(m) for m in messages)
        packed = attempt.packed.model_copy(update={"messages": messages})
        egress.check_outbound(outbound_bytes(packed), report)
        return messages
