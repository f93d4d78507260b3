"""The turn pipeline: one chat turn through the stages of DESIGN.md, top to bottom.

    privacy.scan -> policy.decide -> context.pack -> privacy.egress
      -> endpoint.stream -> ledger.commit

`TurnPipeline.run_turn` yields typed events (`router.turn.events`) that the GUI,
the CLI and the MCP `assistant` server render alike. Each stage is a function in
its own module: `Scanner.scan` (router/privacy/scan.py), `Policy.decide` with
`enforce_privacy` (router/turn/route.py), `pack` or the context builder
(router/context/), `outbound` (router/turn/egress.py), `ToolLoop.run`
(router/turn/tool_loop.py) or the cascade's scored answer (router/turn/cascade.py),
and `commit` (router/ledger/commit.py).

A turn is a loop over attempts: the first goes where the policy decided; a
failed off-device attempt falls back to the device, a cascade's unsure local
answer escalates, and a tool result a rule keeps local moves the rest of the turn
onto the device — each a `RouteChanged` event. The turn is committed once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, MutableMapping, Sequence
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from router.context.pack import pack
from router.context.stage import ContextStage
from router.context.turns import any_kept_local, carries_kept, shareable_messages
from router.endpoints.base import Endpoint
from router.errors import EgressBlockedError, EndpointError, TandemError
from router.ledger.commit import commit
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.store import Ledger
from router.ledger.wire_log import outbound_session
from router.policy.decide import Policy
from router.policy.features import (
    BudgetLimits,
    Embedder,
    LatencyTracker,
    TurnFeatures,
    compute_features,
)
from router.policy.resources import ResourceSensors
from router.privacy.guard import EgressPolicy
from router.privacy.scan import Scanner
from router.privacy.zones import may_reach
from router.turn.after_turn import BackgroundTasks, after_turn
from router.turn.attempt import (
    Attempt,
    Outcome,
    TurnState,
    failure_reason,
    title,
    with_action,
    with_attachments,
)
from router.turn.cascade import (
    ScoredLocalAnswer,
    cascade_attempt,
    escalation_decision,
    is_cascade,
)
from router.turn.egress import attempt_scope, outbound
from router.turn.events import (
    AfterTurnHook,
    FallbackStarted,
    RouteChosen,
    ToolResultKeptLocal,
    TurnEvent,
    TurnFinished,
)
from router.turn.gate import TurnGate
from router.turn.handoff_size import handoff_sizes
from router.turn.route import (
    enforce_privacy,
    fallback_decision,
    keep_local_decision,
    requested_decision,
    zone_decision,
)
from router.turn.tool_loop import ToolLoop
from router.types import (
    GenerationOptions,
    Message,
    PackedContext,
    PrivacyReport,
    RouteDecision,
    Turn,
    TurnRequest,
)

if TYPE_CHECKING:
    from router.mcp.host import ToolHost


@dataclass
class TurnPipeline:
    """Runs chat turns through the stages, against a set of endpoints and a ledger."""

    endpoints: MutableMapping[str, Endpoint]
    """By name; `local` is the device's model (swapped live by the runtime)."""
    policy: Policy
    ledger: Ledger
    generation: GenerationOptions
    system_prompt: str = ""
    fallback_to_local: bool = True
    scanner: Scanner = field(default_factory=Scanner)
    """Stage `privacy.scan`: detectors plus rules."""
    egress_policy: EgressPolicy = field(default_factory=EgressPolicy)
    """Shared with the guarded HTTP clients of the off-device endpoints."""
    pseudonyms: PseudonymStore = field(default_factory=PseudonymStore)
    """Placeholders per session for redacted turns (in memory unless given a path)."""
    budget_limits: BudgetLimits = field(default_factory=BudgetLimits)
    """Money budgets and latency target; what is left is read from the ledger per turn."""
    latency: LatencyTracker = field(default_factory=LatencyTracker)
    """Rolling measured latency per endpoint, fed by every finished turn."""
    resources: ResourceSensors | None = None
    """Battery and network sensors read each turn; None: resources never change a route."""
    embedder: Embedder | None = None
    """When set, features use the sentence embedding (difficulty, attachment relevance)."""
    cascade_samples: int = 2
    """Local samples a cascade decision draws; their agreement counts toward confidence."""
    context: ContextStage | None = None
    """Summary + retrieved + recent turns within the budget; None sends the newest turns."""
    after_turn_hooks: list[AfterTurnHook] = field(default_factory=list)
    """Called with each completed turn, after its last event (e.g. the memory index)."""
    tools: ToolHost | None = None
    """MCP tools offered to the endpoints; None offers none and ignores tool calls."""
    max_tool_rounds: int = 4
    """Most rounds of tool calls in one turn; later calls are not run."""
    offer_all_tools: bool = False
    """Offer every tool on every turn, instead of only those the question is about."""
    gate: TurnGate = field(default_factory=TurnGate)
    """Counts turns in flight; the runtime shares it to swap models or tools between turns."""
    _background: BackgroundTasks = field(default_factory=BackgroundTasks, init=False, repr=False)

    async def run_turn(self, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        """Serve one turn, yielding its events; the turn is persisted however it ends.

        Raises `TandemError` subclasses with a user-facing message for bad input
        (empty or too long prompt) before anything is persisted. The turn counts
        as in flight at the gate until its last event is consumed or its consumer
        closes it (a stopped reply).
        """
        async with self.gate.turn():
            if self.tools is not None:
                await self.tools.ensure_started()  # connects to the MCP servers on the first turn
            # What leaves for the turn (its after-turn work too) is the conversation's in the
            # record of outbound requests, and goes when the conversation is deleted.
            with outbound_session(request.session_id):
                async with aclosing(self._turn(request)) as events:
                    async for event in events:
                        yield event

    async def _turn(self, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        history = self.ledger.history(request.session_id)
        summary = self.context.summary_messages(request.session_id) if self.context else []
        # privacy.scan, in a worker thread: NER and attachment extraction take long enough (seconds
        # when the models first load) to freeze a GUI that shares this event loop. Names in doubt
        # go to the judge (the device model) only when something could leave the device.
        off_device = any(not e.on_device for e in self.endpoints.values())
        scanned = [*history, *summary]
        report = await self.scanner.scan_judged(request, scanned, judge=off_device)
        decision = self.route(request, report, history)  # policy.decide, keep-local enforced
        attempt = await self._first_attempt(request, report, history, decision)  # pack, egress
        self.ledger.ensure_session(request.session_id, title=title(request.text))
        turn = self.ledger.begin_turn(request.session_id, request.text, request.attachments)
        yield _route_chosen(turn, attempt)
        state = TurnState(turn.id, request, history, summary, report)
        outcome = Outcome(attempt.decision, attempt.endpoint.name)
        try:
            # endpoint.stream, attempt after attempt. Guards that a tool result adds
            # hold until the turn ends, whichever endpoint answers.
            async with (
                AsyncExitStack() as guards,
                aclosing(self._attempts(state, attempt, outcome, guards)) as events,
            ):
                async for event in events:
                    yield event
            outcome.finished = True
        except Exception as exc:
            outcome.error = str(exc) if isinstance(exc, TandemError) else _described(exc)
            if isinstance(exc, TandemError):
                raise
            raise EndpointError(
                f"{outcome.endpoint} failed: {outcome.error}", "try again, or pick another model"
            ) from exc
        finally:
            record = self._commit(turn, outcome)  # ledger.commit: the one place
        self._finished(record, outcome)
        yield TurnFinished(turn=record)

    def features(
        self, request: TurnRequest, report: PrivacyReport, history: Sequence[Message]
    ) -> TurnFeatures:
        """The turn's routing features: text, privacy, endpoints, budgets and resources.

        Each endpoint's state carries the context the packer would send it.
        """
        return compute_features(
            request,
            report,
            history,
            self.endpoints,
            budgets=self.budget_limits.remaining(self.ledger, request.session_id),
            tracker=self.latency,
            previous_endpoint=self.ledger.last_endpoint(request.session_id),
            embedder=self.embedder,
            resources=self.resources.read() if self.resources else None,
            handoff_tokens=self._handoff_tokens(request, history),
        )

    def _handoff_tokens(self, request: TurnRequest, history: Sequence[Message]) -> dict[str, int]:
        """Per endpoint, the context its packed prompt would carry (for the switching cost)."""
        if not history or len(self.endpoints) < 2:
            return {}  # nothing to carry, or no endpoint to switch to
        pack_for = partial(self._pack, request, history)
        return handoff_sizes(request, self.endpoints, pack_for, self.system_prompt)

    def route(
        self, request: TurnRequest, report: PrivacyReport, history: Sequence[Message]
    ) -> RouteDecision:
        """Stage `policy.decide`: the policy's choice, with resources and privacy applied.

        The privacy verdict leaves the policy only the endpoints it allows (`within_zone`);
        the device's resources take endpoints out (router/policy/resource_rules.py); an
        endpoint the request names (the user asked for it) replaces the policy's choice; the
        verdict is enforced last, whatever the policy and the resources chose.
        """
        features = self.features(request, report, history)
        if request.endpoint is not None:
            decision = requested_decision(features, request.endpoint, self.policy.name)
        else:
            # A keep_mine turn: the policy chooses among the device and the user's edges.
            decision = zone_decision(self.policy, features, report)
        return enforce_privacy(request, report, decision, self.endpoints)

    async def drain(self) -> None:
        """Wait for background work (memory index, summary refresh) to finish."""
        await self._background.drain()

    async def _first_attempt(
        self,
        request: TurnRequest,
        report: PrivacyReport,
        history: Sequence[Message],
        decision: RouteDecision,
    ) -> Attempt:
        """Stages `context.pack` and `privacy.egress` for the decided endpoint."""
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        # Only the attachments the decision chose travel with the request.
        sent = with_attachments(request, decision.attachments_sent)
        attempt = Attempt(endpoint, self._pack(sent, history, endpoint), decision)
        if endpoint.on_device:
            return attempt
        try:
            return outbound(self.pseudonyms, request, report, attempt)
        except EgressBlockedError as exc:
            # Nothing was sent yet: answer on the device rather than fail the turn.
            replacement = await self._fallback_attempt(request, history, attempt, exc.message)
            if replacement is None:
                raise
            return replacement

    async def _attempts(
        self, state: TurnState, attempt: Attempt | None, outcome: Outcome, guards: AsyncExitStack
    ) -> AsyncGenerator[TurnEvent, None]:
        """The outer loop: each attempt runs until it answers or hands the turn on."""
        while attempt is not None:
            async with aclosing(self._attempt(state, attempt, outcome, guards)) as events:
                async for event in events:
                    yield event
            attempt = outcome.take_next()

    async def _attempt(
        self, state: TurnState, attempt: Attempt, outcome: Outcome, guards: AsyncExitStack
    ) -> AsyncGenerator[TurnEvent, None]:
        """One attempt's events, then the route change that hands the turn on, if any."""
        try:
            async with (
                attempt_scope(self.egress_policy, attempt),
                aclosing(self._answer(state, attempt, outcome, guards)) as events,
            ):
                async for event in events:
                    yield event
        except (EndpointError, EgressBlockedError) as exc:
            # Any off-device failure, a guard block included: the device can answer.
            if not await self._fall_back(state, attempt, outcome, failure_reason(exc)):
                raise
        else:
            if outcome.move_local:
                await self._keep_local(state, attempt, outcome)
        if outcome.change is not None:
            yield outcome.change

    def _answer(
        self, state: TurnState, attempt: Attempt, outcome: Outcome, guards: AsyncExitStack
    ) -> AsyncGenerator[TurnEvent, None]:
        """Stage `endpoint.stream`: the tool loop, or a cascade's scored local answer."""
        if is_cascade(attempt):
            return cascade_attempt(
                attempt,
                outcome,
                self.generation,
                self.cascade_samples,
                partial(self._escalation, state),
            )
        loop = ToolLoop(
            generation=self.generation,
            tools=self.tools,
            max_rounds=self.max_tool_rounds,
            offer_all_tools=self.offer_all_tools,
            egress_policy=self.egress_policy,
            pseudonyms=self.pseudonyms,
            scanner=self.scanner,
            sent=self.ledger.sent,
        )
        return loop.run(state, attempt, outcome, guards)

    async def _escalation(
        self, state: TurnState, decision: RouteDecision, answer: ScoredLocalAnswer
    ) -> tuple[Attempt | None, RouteDecision]:
        """The escalation attempt, or None with the decision noting why it could not happen."""
        target = self.endpoints.get(decision.escalate_to or "")
        if target is None or not target.available():
            return None, decision
        if not may_reach(state.report.action, target.zone):  # enforce_privacy dropped it already
            return None, decision
        escalated = escalation_decision(decision, target, answer)
        try:
            await target.prepare()
            sent = with_attachments(state.request, decision.attachments_sent)
            packed = self._pack(sent, state.history, target)
            first = Attempt(target, packed, escalated, sent_kind="escalation")
            attempt = outbound(self.pseudonyms, state.request, state.report, first)
        except (EgressBlockedError, EndpointError) as exc:
            note = f"{decision.reason}; escalation blocked ({exc.message})"
            return None, decision.model_copy(update={"reason": note})
        if attempt.decision.reason != escalated.reason:  # redaction adds its note
            reason = f"{escalated.reason}; {attempt.decision.reason}"
            attempt = replace(
                attempt, decision=attempt.decision.model_copy(update={"reason": reason})
            )
        return attempt, decision

    async def _fall_back(
        self, state: TurnState, failed: Attempt, outcome: Outcome, reason: str
    ) -> bool:
        """Hand the turn to the device after an off-device failure; False when it cannot."""
        current = replace(failed, decision=outcome.decision)
        replacement = await self._fallback_attempt(state.request, state.history, current, reason)
        if replacement is None:
            return False
        replacement = with_action(replacement, state.report.action)
        change = FallbackStarted(
            decision=replacement.decision, reason=reason, withdrawn_text=outcome.answer
        )
        outcome.hand_over(replacement, change)
        return True

    async def _fallback_attempt(
        self, request: TurnRequest, history: Sequence[Message], failed: Attempt, reason: str
    ) -> Attempt | None:
        """The on-device attempt that replaces a failed off-device one, if allowed."""
        if failed.endpoint.on_device or not self.fallback_to_local:
            return None
        decision = fallback_decision(request, self.endpoints, failed.decision, reason)
        return None if decision is None else await self._attempt_on(request, history, decision)

    async def _keep_local(self, state: TurnState, attempt: Attempt, outcome: Outcome) -> None:
        """Hand the rest of the turn to the device: a tool result may not go where it ran."""
        report = state.report
        decision = keep_local_decision(state.request, self.endpoints, outcome.decision, report)
        local = await self._attempt_on(state.request, state.history, decision)
        change = ToolResultKeptLocal(decision=local.decision, reason=report.reason)
        outcome.hand_over(local, change)

    async def _attempt_on(
        self, request: TurnRequest, history: Sequence[Message], decision: RouteDecision
    ) -> Attempt:
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        return Attempt(endpoint, self._pack(request, history, endpoint), decision)

    def _pack(
        self, request: TurnRequest, history: Sequence[Message], endpoint: Endpoint
    ) -> PackedContext:
        """Stage `context.pack`: the messages for `endpoint` under its token budget."""
        if self.context is not None:
            return self.context.pack(
                request,
                self.ledger.turns(request.session_id),
                endpoint,
                system_prompt=self.system_prompt,
                reserve_output_tokens=self.generation.max_tokens,
            ).packed
        turns = self.ledger.turns(request.session_id)
        if any_kept_local(turns) and not endpoint.on_device:
            # A rescan of the history finds only values a detector knows again; a turn
            # kept local for its source or topic must be left out by the packer itself
            # (and one kept on the user's devices, unless the endpoint is one of them).
            history = shareable_messages(turns, endpoint.zone)
        packed = pack(
            request,
            history,
            endpoint,
            system_prompt=self.system_prompt,
            reserve_output_tokens=self.generation.max_tokens,
        )
        # Plain packing does not know which turn each message came from: any kept turn
        # the endpoint may see counts as carried.
        carried = carries_kept(turns, endpoint.zone)
        return packed.model_copy(update={"holds_kept_local": carried})

    def _commit(self, turn: Turn, outcome: Outcome) -> Turn:
        """Stage `ledger.commit`, the one place a turn's end is persisted."""
        return commit(
            self.ledger,
            turn,
            status=outcome.status,
            answer=outcome.answer,
            route=outcome.decision,
            usage=outcome.usage if outcome.finished else None,
            error=outcome.error,
        )

    def _finished(self, record: Turn, outcome: Outcome) -> None:
        """A completed turn feeds the latency estimate and starts its background work."""
        if record.status != "complete":
            return
        if record.usage is not None:
            self.latency.observe(outcome.endpoint, record.usage)
        summarizer = next((e for e in self.endpoints.values() if e.on_device), None)
        self._background.start(
            after_turn(
                record,
                list(self.after_turn_hooks),
                self.ledger,
                self.context,
                summarizer,
                self.scanner,
            )
        )


def _route_chosen(turn: Turn, attempt: Attempt) -> RouteChosen:
    """The turn's first event: its route, and what leaves the device for it."""
    return RouteChosen(
        turn_id=turn.id,
        decision=attempt.decision,
        input_tokens=attempt.packed.input_tokens,
        dropped_turns=attempt.packed.dropped_turns,
        sent_messages=() if attempt.endpoint.on_device else attempt.packed.messages,
    )


def _described(exc: Exception) -> str:
    """An unexpected error as the ledger records it: its type and message."""
    return f"{type(exc).__name__}: {exc}"
