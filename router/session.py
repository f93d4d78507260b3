"""The turn pipeline: the stages of DESIGN.md, in order, for one chat turn.

    privacy.scan -> policy.decide -> context.pack -> privacy.egress
      -> endpoint.stream -> ledger.commit

`TurnPipeline.run_turn` yields typed events the GUI, the CLI and the MCP
`assistant` server all render the same way.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, aclosing, nullcontext
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from router.context.pack import pack
from router.endpoints.base import Endpoint, StreamEnd, TokenDelta
from router.errors import EgressBlockedError, EndpointError, TandemError
from router.ledger import Ledger
from router.policy.decide import Policy, local_decision
from router.privacy import egress
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer, PseudonymStore, redact_attachments
from router.privacy.scan import Scanner
from router.types import (
    GenerationOptions,
    Message,
    PackedContext,
    PrivacyReport,
    ProtectedValue,
    RouteDecision,
    Turn,
    TurnRequest,
    TurnStatus,
)


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


TurnEvent = RouteChosen | TokenDelta | FallbackStarted | TurnFinished


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

    async def run_turn(self, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        """Serve one turn, yielding its events; the turn is persisted however it ends.

        Raises `TandemError` subclasses with a user-facing message for bad input
        (empty or too long prompt) before anything is persisted. An off-device
        endpoint that fails, before or during its answer, hands the turn to the
        device (a `FallbackStarted` event); the ledger keeps only the final answer.
        """
        history = self.ledger.history(request.session_id)
        report = self.scanner.scan(request, history)
        decision = self.policy.decide(request, report, self.endpoints)
        decision = decision.model_copy(update={"privacy_action": report.action})
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        packed = self._pack(request, history, endpoint)
        attempt = _Attempt(endpoint, packed, decision)
        if _is_remote(endpoint):
            attempt = self._redacted(request, report, attempt)
            try:
                egress.check_outbound(_outbound_bytes(attempt.packed), report)
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
        # aclosing: when our consumer stops early, the inner generators must be closed
        # now (stopping generation, recording the cancel), not whenever GC gets to them.
        async with aclosing(self._stream_and_commit(turn, request, history, attempt)) as events:
            async for event in events:
                yield event

    def _pack(
        self, request: TurnRequest, history: Sequence[Message], endpoint: Endpoint
    ) -> PackedContext:
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
        self, turn: Turn, request: TurnRequest, history: Sequence[Message], attempt: _Attempt
    ) -> AsyncGenerator[TurnEvent, None]:
        parts: list[str] = []
        end: StreamEnd | None = None
        try:
            while True:
                restorer = attempt.pseudonymizer.restorer() if attempt.pseudonymizer else None
                try:
                    with ExitStack() as stack:
                        stack.enter_context(self._protection(attempt))
                        if attempt.files is not None:
                            stack.enter_context(attempt.files)
                        async with aclosing(
                            attempt.endpoint.stream(attempt.packed.messages, self.generation)
                        ) as stream_events:
                            async for event in stream_events:
                                if isinstance(event, TokenDelta):
                                    text = restorer.feed(event.text) if restorer else event.text
                                    if text:
                                        parts.append(text)
                                        yield TokenDelta(text=text)
                                elif isinstance(event, StreamEnd):
                                    end = event
                                # Tool calls need a tool host, which arrives with the MCP work.
                        tail = restorer.flush() if restorer else ""
                        if tail:
                            parts.append(tail)
                            yield TokenDelta(text=tail)
                    break
                except (EndpointError, EgressBlockedError) as exc:
                    # Any off-device failure, a guard block included: the device can answer.
                    reason = _failure_reason(exc)
                    replacement = await self._fallback(request, history, attempt, reason)
                    if replacement is None:
                        raise
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
        self.ledger.finish_turn(turn.id, status=status, answer=answer, route=decision, usage=usage)
        yield TurnFinished(
            turn=turn.model_copy(
                update={"answer": answer, "route": decision, "usage": usage, "status": status}
            )
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


def _is_remote(endpoint: Endpoint) -> bool:
    return endpoint.kind not in ("local", "fake")


def _title(text: str, limit: int = 60) -> str:
    """A conversation's title: its first message, on one line, cut at a word."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + "…"


def _outbound_bytes(packed: PackedContext) -> bytes:
    return packed.model_dump_json().encode("utf-8")
