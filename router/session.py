"""The turn pipeline: the stages of DESIGN.md, in order, for one chat turn.

    privacy.scan -> policy.features -> policy.decide -> context.pack
      -> privacy.egress -> endpoint.stream -> ledger.commit

A `cascade` decision answers on the device first (non-streamed, with token
log-probabilities) and escalates to its off-device endpoint when the answer's
confidence is below the decision's threshold (an `EscalationStarted` event).

`TurnPipeline.run_turn` yields typed events the GUI, the CLI and the MCP
`assistant` server all render the same way.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, aclosing, nullcontext
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict, Field

from router.context.manager import ContextManager
from router.context.pack import pack
from router.endpoints.base import Endpoint, StreamEnd, TokenDelta, ToolCallRequested
from router.errors import EgressBlockedError, EndpointError, TandemError
from router.ledger import Ledger
from router.mcp.host import ToolHost
from router.mcp.select import relevant_servers_tools
from router.mcp.turn import ToolCalled, ToolResultKeptLocal, exchange, restored_call
from router.policy.cascade import ScoringEndpoint
from router.policy.confidence import ScoredAnswer, confidence
from router.policy.decide import Policy, local_decision
from router.policy.features import (
    BudgetLimits,
    Embedder,
    LatencyTracker,
    TurnFeatures,
    compute_features,
)
from router.privacy import egress
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer, PseudonymStore, redact_attachments
from router.privacy.rules import stricter
from router.privacy.scan import Scanner
from router.types import (
    FindingAction,
    GenerationOptions,
    Message,
    PackedContext,
    PrivacyReport,
    ProtectedValue,
    RouteDecision,
    ToolCall,
    ToolResult,
    ToolSpec,
    Turn,
    TurnRequest,
    TurnStatus,
)

_log = logging.getLogger(__name__)

AfterTurnHook = Callable[[Turn], Awaitable[None]]
"""Async callback given each completed turn (the memory index registers one)."""


class RouteChosen(BaseModel):
    """First event of a turn: where it runs and what it carries."""

    model_config = ConfigDict(frozen=True)

    turn_id: str = Field(description="Ledger id of the turn.")
    decision: RouteDecision = Field(description="The policy's decision, with its reason.")
    input_tokens: int = Field(description="Prompt tokens sent to the endpoint.")
    dropped_turns: int = Field(description="Earlier turns left out of the context.")


class FallbackStarted(BaseModel):
    """The chosen off-device endpoint failed; the device answers the turn instead."""

    model_config = ConfigDict(frozen=True)

    decision: RouteDecision = Field(description="The new route, with the failure as its reason.")
    reason: str = Field(description="What went wrong with the endpoint that failed.")
    withdrawn_text: str = Field(
        description="Text the failed endpoint had streamed; it is replaced, not kept."
    )


class TurnFinished(BaseModel):
    """Last event of a turn: the persisted record."""

    model_config = ConfigDict(frozen=True)

    turn: Turn = Field(description="The turn as the ledger stored it.")


class EscalationStarted(BaseModel):
    """Cascade: the device's answer was not confident enough; an off-device endpoint takes over."""

    model_config = ConfigDict(frozen=True)

    decision: RouteDecision = Field(description="The escalated route, its reason naming why.")
    confidence: float = Field(description="The local answer's confidence in [0, 1].")
    withdrawn_text: str = Field(description="The local answer; it is replaced, not kept.")


TurnEvent = (
    RouteChosen
    | TokenDelta
    | FallbackStarted
    | EscalationStarted
    | ToolCalled
    | ToolResultKeptLocal
    | TurnFinished
)


@dataclass
class TurnPipeline:
    """Runs chat turns through the stages, against a set of endpoints and a ledger."""

    endpoints: Mapping[str, Endpoint]
    policy: Policy
    ledger: Ledger
    generation: GenerationOptions
    system_prompt: str = ""

    fallback_to_local: bool = True
    scanner: Scanner = field(default_factory=Scanner)
    """Stage 1: detectors plus rules."""
    egress_policy: EgressPolicy = field(default_factory=EgressPolicy)
    """Shared with the guarded HTTP clients of the off-device endpoints."""
    pseudonyms: PseudonymStore = field(default_factory=PseudonymStore)
    """Placeholders per session for redacted turns (in memory unless given a path)."""
    budget_limits: BudgetLimits = field(default_factory=BudgetLimits)
    """Money budgets and latency target; what is left is read from the ledger per turn."""
    latency: LatencyTracker = field(default_factory=LatencyTracker)
    """Rolling measured latency per endpoint, fed by every finished turn."""
    embedder: Embedder | None = None
    """When set, features use the sentence embedding (difficulty, attachment relevance)."""
    cascade_samples: int = 2
    """Local samples a cascade decision draws; their agreement counts toward confidence."""
    context: ContextManager | None = None
    """Summary + retrieved + recent turns within the budget; None sends the newest turns."""
    after_turn_hooks: list[AfterTurnHook] = field(default_factory=list)
    """Called with each completed turn, after its last event (e.g. the memory index)."""
    tools: ToolHost | None = None
    """MCP tools offered to the endpoints; None offers none and ignores tool calls."""
    max_tool_rounds: int = 4
    offer_all_tools: bool = False
    """Offer every tool on every turn, instead of only those the question is about."""
    """Most rounds of tool calls in one turn; later calls are not run."""
    _background: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    def features(
        self, request: TurnRequest, report: PrivacyReport, history: Sequence[Message]
    ) -> TurnFeatures:
        """The turn's routing features: text, attachments, privacy, endpoints, budgets."""
        return compute_features(
            request,
            report,
            history,
            self.endpoints,
            budgets=self.budget_limits.remaining(self.ledger, request.session_id),
            tracker=self.latency,
            previous_endpoint=self.ledger.last_endpoint(request.session_id),
            embedder=self.embedder,
        )

    async def run_turn(self, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        """Serve one turn, yielding its events; the turn is persisted however it ends.

        Raises `TandemError` subclasses with a user-facing message for bad input
        (empty or too long prompt) before anything is persisted. An off-device
        endpoint that fails, before or during its answer, hands the turn to the
        device (a `FallbackStarted` event); the ledger keeps only the final answer.
        """
        if self.tools is not None:
            await self.tools.ensure_started()  # connects to the MCP servers on the first turn
        history = self.ledger.history(request.session_id)
        # The summary may be packed too, so it is scanned like the history it condenses.
        report = self.scanner.scan(request, [*history, *self._summary_messages(request)])
        features = self.features(request, report, history)
        decision = self.policy.decide(request, report, self.endpoints, features)
        decision = self._enforce_privacy(request, report, decision)
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        # Only the attachments the decision chose travel with the request.
        sent = _with_attachments(request, decision.attachments_sent)
        packed = self._pack(sent, history, endpoint)
        attempt = _Attempt(endpoint, packed, decision)
        if _is_remote(endpoint):
            try:
                attempt = self._outbound(request, report, attempt)
            except EgressBlockedError as exc:
                # Nothing was sent yet: answer on the device rather than fail the turn.
                replacement = await self._fallback(request, history, attempt, exc.message)
                if replacement is None:
                    raise
                attempt = replacement
        self.ledger.ensure_session(request.session_id, title=_title(request.text))
        turn = self.ledger.begin_turn(request.session_id, request.text, request.attachments)
        yield RouteChosen(
            turn_id=turn.id,
            decision=attempt.decision,
            input_tokens=attempt.packed.input_tokens,
            dropped_turns=attempt.packed.dropped_turns,
        )
        if attempt.decision.escalate_to and isinstance(attempt.endpoint, ScoringEndpoint):
            events = self._cascade(turn, request, report, history, attempt)
        else:
            events = self._stream_and_commit(turn, request, history, attempt, report)
        # aclosing: when our consumer stops early, the inner generators must be closed
        # now (stopping generation, recording the cancel), not whenever GC gets to them.
        async with aclosing(events) as stream:
            async for event in stream:
                if isinstance(event, TurnFinished) and event.turn.status == "complete":
                    self._after_turn(event.turn)
                yield event

    def _summary_messages(self, request: TurnRequest) -> list[Message]:
        if self.context is None or not self.context.settings.summary:
            return []
        summary = self.context.summaries.get(request.session_id)
        return [Message(role="system", content=summary.text)] if summary else []

    def _after_turn(self, turn: Turn) -> None:
        """Index the turn and refresh the summary in the background; the answer is not delayed."""
        task = asyncio.get_running_loop().create_task(self._after_turn_work(turn))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _after_turn_work(self, turn: Turn) -> None:
        for hook in self.after_turn_hooks:
            try:
                await hook(turn)
            except Exception:  # a failed index update must never fail or lose a turn
                _log.exception("after-turn hook failed for turn %s", turn.id)
        local = next((e for e in self.endpoints.values() if not _is_remote(e)), None)
        if self.context is None or local is None:
            return
        try:
            await self.context.after_turn(
                turn.session_id, self.ledger.turns(turn.session_id), local, self.scanner
            )
        except Exception:  # the summary is an optimisation; the ledger has every turn
            _log.exception("summary refresh failed for session %s", turn.session_id)

    async def drain(self) -> None:
        """Wait for background work (memory index, summary refresh) to finish."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def _enforce_privacy(
        self, request: TurnRequest, report: PrivacyReport, decision: RouteDecision
    ) -> RouteDecision:
        """The decision with the privacy verdict; a keep-local turn is forced on the device.

        Policies already honour keep-local; this is the pipeline's own check, so a
        buggy or custom policy cannot send such a turn off the device.
        """
        chosen = self.endpoints.get(decision.endpoint)
        if report.keep_local and (chosen is None or _is_remote(chosen) or decision.escalate_to):
            decision = local_decision(
                request, self.endpoints, decision.policy, f"kept local: {report.reason}"
            )
        elif decision.escalate_to and not isinstance(chosen, ScoringEndpoint):
            decision = decision.model_copy(
                update={
                    "escalate_to": None,
                    "reason": f"{decision.reason}; {decision.endpoint} cannot score its "
                    "answers, so it answers without a confidence check",
                }
            )
        return decision.model_copy(update={"privacy_action": report.action})

    def _outbound(self, request: TurnRequest, report: PrivacyReport, attempt: _Attempt) -> _Attempt:
        """The off-device attempt, redacted and checked at the egress guard (may raise)."""
        attempt = self._redacted(request, report, attempt)
        egress.check_outbound(_outbound_bytes(attempt.packed), report)
        return attempt

    async def _cascade(
        self,
        turn: Turn,
        request: TurnRequest,
        report: PrivacyReport,
        history: Sequence[Message],
        attempt: _Attempt,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Answer locally with log-probs; keep the answer or escalate below the threshold."""
        decision = attempt.decision
        threshold = decision.confidence_threshold or 0.0
        started = time.perf_counter()
        try:
            samples = await self._local_samples(attempt)
        except BaseException as exc:
            status: TurnStatus = "cancelled" if isinstance(exc, asyncio.CancelledError) else "error"
            self.ledger.finish_turn(
                turn.id, status=status, answer="", route=decision, usage=None, error=str(exc)
            )
            raise
        conf = confidence(samples)
        local_text = samples[0].text
        target = self.endpoints.get(decision.escalate_to or "")
        escalation: _Attempt | None = None
        if conf.score < threshold and target is not None and target.available():
            escalated = decision.model_copy(
                update={
                    "endpoint": target.name,
                    "endpoint_kind": target.kind,
                    "confidence": conf.score,
                    "escalate_to": None,
                    "reason": f"local confidence {conf.score:.2f} < {threshold:.2f} "
                    f"({conf.describe()}): escalated to {target.name}",
                    "expected_quality": None,
                    "expected_latency_s": None,
                    "expected_cost_usd": None,
                }
            )
            try:
                await target.prepare()
                packed = self._pack(
                    _with_attachments(request, decision.attachments_sent), history, target
                )
                escalation = self._outbound(request, report, _Attempt(target, packed, escalated))
                if escalation.decision.reason != escalated.reason:  # redaction adds its note
                    note = escalation.decision.reason
                    escalation = replace(
                        escalation,
                        decision=escalation.decision.model_copy(
                            update={"reason": f"{escalated.reason}; {note}"}
                        ),
                    )
            except (EgressBlockedError, EndpointError) as exc:
                decision = decision.model_copy(
                    update={"reason": f"{decision.reason}; escalation blocked ({exc.message})"}
                )
        if escalation is not None:
            yield EscalationStarted(
                decision=escalation.decision, confidence=conf.score, withdrawn_text=local_text
            )
            async with aclosing(
                self._stream_and_commit(turn, request, history, escalation, report)
            ) as events:
                async for event in events:
                    yield event
            return
        verdict = ">=" if conf.score >= threshold else "<"
        kept = decision.model_copy(
            update={
                "confidence": conf.score,
                "reason": f"local confidence {conf.score:.2f} {verdict} {threshold:.2f} "
                f"({conf.describe()}): kept the local answer",
            }
        )
        if verdict == "<":
            kept = kept.model_copy(update={"reason": f"{kept.reason}; {decision.reason}"})
        # Nothing is shown until every sample is scored: that wait is the turn's latency.
        waited = time.perf_counter() - started
        usage = samples[0].usage.model_copy(update={"ttft_s": waited, "latency_s": waited})
        self.latency.observe(attempt.endpoint.name, usage)
        if local_text:
            yield TokenDelta(text=local_text)
        self.ledger.finish_turn(
            turn.id, status="complete", answer=local_text, route=kept, usage=usage
        )
        yield TurnFinished(
            turn=turn.model_copy(
                update={"answer": local_text, "route": kept, "usage": usage, "status": "complete"}
            )
        )

    async def _local_samples(self, attempt: _Attempt) -> list[ScoredAnswer]:
        """The shown answer plus extra samples (other seeds) for the agreement check."""
        scorer = attempt.endpoint
        assert isinstance(scorer, ScoringEndpoint)  # checked by the caller
        samples: list[ScoredAnswer] = []
        for i in range(max(1, self.cascade_samples)):
            seed = None if self.generation.seed is None else self.generation.seed + i
            options = self.generation.model_copy(update={"seed": seed})
            samples.append(await scorer.answer_scored(attempt.packed.messages, options))
        return samples

    def _pack(
        self, request: TurnRequest, history: Sequence[Message], endpoint: Endpoint
    ) -> PackedContext:
        if self.context is not None:
            return self.context.pack(
                request,
                self.ledger.turns(request.session_id),
                endpoint,
                system_prompt=self.system_prompt,
                reserve_output_tokens=self.generation.max_tokens,
            ).packed
        return pack(
            request,
            history,
            endpoint,
            system_prompt=self.system_prompt,
            reserve_output_tokens=self.generation.max_tokens,
        )

    def _redacted(self, request: TurnRequest, report: PrivacyReport, attempt: _Attempt) -> _Attempt:
        """The off-device attempt with placeholders for every value a redact rule chose.

        Every message of the packed context is redacted (history too, and text
        attachments, rewritten to temporary files), and the values are protected
        at the egress guard for the whole request, redacted or not.
        """
        pseudonymizer = Pseudonymizer(self.pseudonyms, request.session_id)
        pseudonymizer.register(report.redact_values)
        known = self.pseudonyms.values(request.session_id)
        protected: tuple[ProtectedValue | str, ...] = (*report.protected, *known)
        if not known:  # nothing to redact in this session: send as packed
            return _Attempt(attempt.endpoint, attempt.packed, attempt.decision, protected)
        files = tempfile.TemporaryDirectory(prefix="tandem-redacted-")
        messages = redact_attachments(
            [pseudonymizer.redact_message(m) for m in attempt.packed.messages],
            pseudonymizer,
            files.name,
        )
        decision = attempt.decision
        if report.action == "redact":
            decision = decision.model_copy(
                update={
                    "redactions": tuple(sorted({p.type for p in report.redact_values})),
                    "reason": f"redacted then sent: {report.reason}",
                }
            )
        packed = attempt.packed.model_copy(update={"messages": tuple(messages)})
        return _Attempt(attempt.endpoint, packed, decision, protected, pseudonymizer, files)

    def _protection(self, attempt: _Attempt) -> AbstractContextManager[None]:
        """Guard the attempt's values at the egress transports while it streams."""
        if _is_remote(attempt.endpoint):
            return self.egress_policy.protect(attempt.protected)
        return nullcontext()

    async def _fallback(
        self, request: TurnRequest, history: Sequence[Message], failed: _Attempt, reason: str
    ) -> _Attempt | None:
        """The on-device attempt that replaces a failed off-device one, if allowed."""
        if not (self.fallback_to_local and _is_remote(failed.endpoint)):
            return None
        try:
            decision = local_decision(
                request,
                self.endpoints,
                failed.decision.policy,
                f"{failed.endpoint.name} failed ({reason}); answered on this device instead",
            )
        except TandemError:
            return None
        decision = decision.model_copy(update={"privacy_action": failed.decision.privacy_action})
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        return _Attempt(endpoint, self._pack(request, history, endpoint), decision)

    async def _stream_and_commit(
        self,
        turn: Turn,
        request: TurnRequest,
        history: Sequence[Message],
        attempt: _Attempt,
        report: PrivacyReport,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Stream the attempt's answer, run the tools it asks for, and persist the turn.

        Tool calls are run through the host and the results sent back, for at
        most `max_tool_rounds` rounds. Each round's results are scanned: their
        protected values are guarded at egress for the rest of the turn, redact
        values reach an off-device endpoint only as placeholders, and a result
        a rule keeps local moves the rest of the turn onto the device.
        """
        parts: list[str] = []
        end: StreamEnd | None = None
        rounds = _Rounds(protected=report.protected)
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
                                this = _Round()
                                async with aclosing(
                                    self._stream_round(attempt, rounds, report, this)
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
                                attempt = _with_action(attempt, report.action)
                                if report.keep_local and _is_remote(attempt.endpoint):
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
                        reason = _failure_reason(exc)
                        replacement = await self._fallback(request, history, attempt, reason)
                        if replacement is None:
                            raise
                        replacement = _with_action(replacement, report.action)
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

    # -- the tool loop ------------------------------------------------------------------

    def _offered_tools(self, attempt: _Attempt) -> tuple[ToolSpec, ...]:
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
        self, attempt: _Attempt, rounds: _Rounds, report: PrivacyReport, out: _Round
    ) -> AsyncGenerator[TokenDelta, None]:
        """One generation: its text as it comes (placeholders restored); calls and end to `out`."""
        restorer = attempt.pseudonymizer.restorer() if attempt.pseudonymizer else None
        offered = self._offered_tools(attempt)
        messages = self._round_messages(attempt, rounds, report)
        # Without tools the call is exactly as before tools existed (some endpoints predate them).
        stream = (
            attempt.endpoint.stream(messages, self.generation, offered)
            if offered
            else attempt.endpoint.stream(messages, self.generation)
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
        self, this: _Round, attempt: _Attempt, rounds: _Rounds
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
        rounds: _Rounds,
        turn_guard: ExitStack,
    ) -> PrivacyReport:
        """The turn's privacy report with the tool results; their values guarded from now on."""
        scanned = [*history, *self._summary_messages(request), *rounds.messages]
        report = self.scanner.scan(request, scanned)
        rounds.protected = report.protected
        turn_guard.enter_context(self.egress_policy.protect(report.protected))
        return report

    def _with_pseudonymizer(
        self, request: TurnRequest, attempt: _Attempt, rounds: _Rounds, report: PrivacyReport
    ) -> _Attempt:
        """An off-device attempt with tool rounds gets placeholders for their redact values."""
        if not rounds.messages or not _is_remote(attempt.endpoint):
            return attempt
        pseudonymizer = attempt.pseudonymizer or Pseudonymizer(self.pseudonyms, request.session_id)
        pseudonymizer.register(report.redact_values)
        return replace(attempt, pseudonymizer=pseudonymizer)

    def _round_messages(
        self, attempt: _Attempt, rounds: _Rounds, report: PrivacyReport
    ) -> tuple[Message, ...]:
        """What the endpoint gets this round: the packed context, then the tool rounds.

        Off-device, every message is redacted again (a tool result may have
        brought new values) and the whole request checked before it is sent.
        """
        messages = (*attempt.packed.messages, *rounds.messages)
        if not rounds.messages or not _is_remote(attempt.endpoint):
            return messages
        if attempt.pseudonymizer is not None:
            messages = tuple(attempt.pseudonymizer.redact_message(m) for m in messages)
        packed = attempt.packed.model_copy(update={"messages": messages})
        egress.check_outbound(_outbound_bytes(packed), report)
        return messages

    async def _keep_local(
        self,
        request: TurnRequest,
        history: Sequence[Message],
        attempt: _Attempt,
        report: PrivacyReport,
    ) -> _Attempt:
        """The on-device attempt that finishes a turn whose tool results must stay local."""
        try:
            decision = local_decision(
                request,
                self.endpoints,
                attempt.decision.policy,
                f"kept local: a tool result {report.reason}; {attempt.endpoint.name} "
                "handed the rest of the turn to this device",
            )
        except TandemError:
            raise EgressBlockedError(
                f"a tool result must stay on this device ({report.reason}), and there is no "
                "on-device model to finish the turn",
                "add a local model, or deny this tool for cloud turns",
            ) from None
        decision = decision.model_copy(update={"privacy_action": "keep_local"})
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        return _Attempt(endpoint, self._pack(request, history, endpoint), decision)


@dataclass
class _Rounds:
    """The tool rounds of one turn so far."""

    count: int = 0
    messages: list[Message] = field(default_factory=list)
    """The rounds' calls and results, with the real values (redacted per request)."""
    protected: tuple[ProtectedValue, ...] = ()
    """Values the latest scan protects; tool calls run under them."""
    move_local: bool = False
    """Set when a result moves the rest of the turn onto the device."""


@dataclass
class _Round:
    """What one generation of the tool loop produced besides its streamed text."""

    said: list[str] = field(default_factory=list)
    """The text shown to the user, placeholders restored."""
    calls: list[ToolCall] = field(default_factory=list)
    end: StreamEnd | None = None


def _with_action(attempt: _Attempt, action: FindingAction) -> _Attempt:
    """The attempt with its decision's privacy verdict made at least as strict as `action`."""
    verdict = stricter(attempt.decision.privacy_action, action)
    return replace(
        attempt, decision=attempt.decision.model_copy(update={"privacy_action": verdict})
    )


@dataclass(frozen=True)
class _Attempt:
    """One endpoint's go at a turn: the endpoint, what it is sent, and why it was chosen."""

    endpoint: Endpoint
    packed: PackedContext
    decision: RouteDecision
    protected: tuple[ProtectedValue | str, ...] = ()
    """Values the egress guard blocks while this attempt runs."""
    pseudonymizer: Pseudonymizer | None = None
    """Set when the packed context was redacted: restores the streamed answer."""
    files: tempfile.TemporaryDirectory[str] | None = None
    """Redacted copies of text attachments, removed when the attempt ends."""


def _failure_reason(exc: TandemError) -> str:
    """The user-facing reason, naming a guard block even when an SDK wrapped it."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:  # chains can loop
        if isinstance(cause, EgressBlockedError):
            return cause.message
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return exc.message


def _with_attachments(request: TurnRequest, names: Sequence[str]) -> TurnRequest:
    """The request carrying only the named attachments."""
    chosen = set(names)
    kept = tuple(a for a in request.attachments if a.name in chosen)
    return (
        request
        if len(kept) == len(request.attachments)
        else request.model_copy(update={"attachments": kept})
    )


def _is_remote(endpoint: Endpoint) -> bool:
    return endpoint.kind not in ("local", "fake")


def _title(text: str, limit: int = 60) -> str:
    """A conversation's title: its first message, on one line, cut at a word."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + "…"


def _outbound_bytes(packed: PackedContext) -> bytes:
    return packed.model_dump_json().encode("utf-8")
