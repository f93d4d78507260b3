"""The pipeline's configuration and the stages around streaming: features, privacy
enforcement, packing, redaction, fallback, and the background work after a turn."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from router.context.manager import ContextManager
from router.context.pack import pack
from router.endpoints.base import Endpoint
from router.errors import EgressBlockedError, TandemError
from router.ledger.store import Ledger
from router.mcp.host import ToolHost
from router.policy.cascade import ScoringEndpoint
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
from router.privacy.scan import Scanner
from router.turn.attempt import Attempt, is_remote, outbound_bytes
from router.turn.events import AfterTurnHook
from router.types import (
    GenerationOptions,
    Message,
    PackedContext,
    PrivacyReport,
    ProtectedValue,
    RouteDecision,
    Turn,
    TurnRequest,
)

_log = logging.getLogger("router.turn.pipeline")


@dataclass
class PipelineCore:
    """What a turn pipeline runs against, and the stages that do not stream."""

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
    """Most rounds of tool calls in one turn; later calls are not run."""
    offer_all_tools: bool = False
    """Offer every tool on every turn, instead of only those the question is about."""
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

    async def drain(self) -> None:
        """Wait for background work (memory index, summary refresh) to finish."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

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
        local = next((e for e in self.endpoints.values() if not is_remote(e)), None)
        if self.context is None or local is None:
            return
        try:
            await self.context.after_turn(
                turn.session_id, self.ledger.turns(turn.session_id), local, self.scanner
            )
        except Exception:  # the summary is an optimisation; the ledger has every turn
            _log.exception("summary refresh failed for session %s", turn.session_id)

    def _enforce_privacy(
        self, request: TurnRequest, report: PrivacyReport, decision: RouteDecision
    ) -> RouteDecision:
        """The decision with the privacy verdict; a keep-local turn is forced on the device.

        Policies never see privacy verdicts: every keep-local turn is routed here,
        to the first on-device endpoint with no escalation, whatever the policy chose.
        """
        chosen = self.endpoints.get(decision.endpoint)
        if report.keep_local:
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

    def _outbound(self, request: TurnRequest, report: PrivacyReport, attempt: Attempt) -> Attempt:
        """The off-device attempt, redacted and checked at the egress guard (may raise)."""
        attempt = self._redacted(request, report, attempt)
        egress.check_outbound(outbound_bytes(attempt.packed), report)
        return attempt

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

    def _redacted(self, request: TurnRequest, report: PrivacyReport, attempt: Attempt) -> Attempt:
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
            return Attempt(attempt.endpoint, attempt.packed, attempt.decision, protected)
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
        return Attempt(attempt.endpoint, packed, decision, protected, pseudonymizer, files)

    def _protection(self, attempt: Attempt) -> AbstractContextManager[None]:
        """Guard the attempt's values at the egress transports while it streams."""
        if is_remote(attempt.endpoint):
            return self.egress_policy.protect(attempt.protected)
        return nullcontext()

    async def _fallback(
        self, request: TurnRequest, history: Sequence[Message], failed: Attempt, reason: str
    ) -> Attempt | None:
        """The on-device attempt that replaces a failed off-device one, if allowed."""
        if not (self.fallback_to_local and is_remote(failed.endpoint)):
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
        return Attempt(endpoint, self._pack(request, history, endpoint), decision)

    async def _keep_local(
        self,
        request: TurnRequest,
        history: Sequence[Message],
        attempt: Attempt,
        report: PrivacyReport,
    ) -> Attempt:
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
        return Attempt(endpoint, self._pack(request, history, endpoint), decision)
