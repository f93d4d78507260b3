"""The values a turn carries between its stages: an attempt, the turn's state, its outcome."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from router.endpoints.base import Endpoint, StreamEnd
from router.errors import EgressBlockedError, TandemError
from router.ledger.sent import SentKind
from router.privacy.redact import Pseudonymizer
from router.privacy.zones import stricter
from router.turn.events import RouteChanged
from router.turn.spotlight import new_marker
from router.types import (
    FindingAction,
    Message,
    PackedContext,
    PrivacyReport,
    ProtectedValue,
    RouteDecision,
    ToolCall,
    TurnRequest,
    TurnStatus,
    Usage,
)


@dataclass(frozen=True)
class Attempt:
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
    sent_kind: SentKind = "route"
    """For the record of what left the device: the turn's route or a cascade's escalation."""

    def __post_init__(self) -> None:
        # The record says the zone of the endpoint that answers, whichever path (policy,
        # fallback, escalation, hand-over) built the attempt: set here, it cannot be missed.
        object.__setattr__(self, "decision", zoned(self.decision, self.endpoint))


@dataclass
class TurnState:
    """What the stages of one turn read and update as it runs."""

    turn_id: str
    request: TurnRequest
    history: Sequence[Message]
    summary: Sequence[Message]
    """The conversation summary, scanned like the history it condenses."""
    report: PrivacyReport
    """The latest privacy report: the turn's, then with each tool round's results."""
    tool_rounds: int = 0
    tool_messages: list[Message] = field(default_factory=list)
    """The rounds' calls and results, with the real values (redacted per request)."""
    untrusted: list[str] = field(default_factory=list)
    """Where the tool results in `tool_messages` came from (`files__read(report.txt)`)."""
    marker: str = field(default_factory=new_marker)
    """This turn's data-block marker for untrusted text (random, so the text cannot forge it)."""

    def scanned(self) -> list[Message]:
        """The messages the privacy scan reads besides the request."""
        return [*self.history, *self.summary, *self.tool_messages]


@dataclass
class Outcome:
    """What the turn has produced so far: the answer shown, how it ended, its route.

    The ledger commits it once, whatever way the turn ends.
    """

    decision: RouteDecision
    endpoint: str
    parts: list[str] = field(default_factory=list)
    end: StreamEnd | None = None
    error: str | None = None
    finished: bool = False
    """Set when the turn ran to its end (not stopped, not failed)."""
    move_local: bool = False
    """Set by the tool loop when a result must stay on the device: the device takes over."""
    change: RouteChanged | None = None
    """The route change that ends the current attempt, once decided."""
    next: Attempt | None = None
    """The attempt that takes the turn over with `change`."""

    @property
    def answer(self) -> str:
        """The answer as shown to the user."""
        return "".join(self.parts)

    @property
    def usage(self) -> Usage | None:
        """The final generation's usage, once it ended."""
        return self.end.usage if self.end is not None else None

    @property
    def status(self) -> TurnStatus:
        """How the turn ended: an error, a stop, or complete."""
        if self.error is not None:
            return "error"
        if not self.finished or self.end is None or self.end.finish_reason == "cancelled":
            return "cancelled"
        return "complete"

    def hand_over(self, attempt: Attempt, change: RouteChanged) -> None:
        """`attempt` takes the turn over; unless it continues the answer, the text is withdrawn."""
        self.change, self.next = change, attempt
        self.decision = attempt.decision
        self.endpoint = attempt.endpoint.name
        self.end = None
        self.move_local = False
        if not change.keeps_text:
            self.parts = []

    def take_next(self) -> Attempt | None:
        """The attempt that takes over (None when the turn is answered); clears the change."""
        attempt, self.next, self.change = self.next, None, None
        return attempt


@dataclass
class Round:
    """What one generation of the tool loop produced besides its streamed text."""

    said: list[str] = field(default_factory=list)
    """The text shown to the user, placeholders restored."""
    calls: list[ToolCall] = field(default_factory=list)
    end: StreamEnd | None = None


def zoned(decision: RouteDecision, endpoint: Endpoint | None) -> RouteDecision:
    """`decision` with the trust zone of the endpoint that serves it (as it is without one)."""
    if endpoint is None or decision.zone == endpoint.zone:
        return decision
    return decision.model_copy(update={"zone": endpoint.zone})


def with_action(attempt: Attempt, action: FindingAction) -> Attempt:
    """The attempt with its decision's privacy verdict made at least as strict as `action`."""
    verdict = stricter(attempt.decision.privacy_action, action)
    return replace(
        attempt, decision=attempt.decision.model_copy(update={"privacy_action": verdict})
    )


def failure_reason(exc: TandemError) -> str:
    """The user-facing reason, naming a guard block even when an SDK wrapped it."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:  # chains can loop
        if isinstance(cause, EgressBlockedError):
            return cause.message
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return exc.message


def with_attachments(request: TurnRequest, names: Sequence[str]) -> TurnRequest:
    """The request carrying only the named attachments."""
    chosen = set(names)
    kept = tuple(a for a in request.attachments if a.name in chosen)
    return (
        request
        if len(kept) == len(request.attachments)
        else request.model_copy(update={"attachments": kept})
    )


def title(text: str, limit: int = 60) -> str:
    """A conversation's title: its first message, on one line, cut at a word."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + "…"


def outbound_bytes(packed: PackedContext) -> bytes:
    """The packed context as the bytes the egress check reads."""
    return packed.model_dump_json().encode("utf-8")
