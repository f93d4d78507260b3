"""One endpoint's go at a turn, the tool rounds so far, and small helpers of the stages."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from router.endpoints.base import Endpoint, StreamEnd
from router.errors import EgressBlockedError, TandemError
from router.privacy.redact import Pseudonymizer
from router.privacy.rules import stricter
from router.types import (
    FindingAction,
    Message,
    PackedContext,
    ProtectedValue,
    RouteDecision,
    ToolCall,
    TurnRequest,
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


@dataclass
class Rounds:
    """The tool rounds of one turn so far."""

    count: int = 0
    messages: list[Message] = field(default_factory=list)
    """The rounds' calls and results, with the real values (redacted per request)."""
    protected: tuple[ProtectedValue, ...] = ()
    """Values the latest scan protects; tool calls run under them."""
    move_local: bool = False
    """Set when a result moves the rest of the turn onto the device."""


@dataclass
class Round:
    """What one generation of the tool loop produced besides its streamed text."""

    said: list[str] = field(default_factory=list)
    """The text shown to the user, placeholders restored."""
    calls: list[ToolCall] = field(default_factory=list)
    end: StreamEnd | None = None


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


def is_remote(endpoint: Endpoint) -> bool:
    """True for endpoints off this device: what they are sent passes the egress guard."""
    return not endpoint.on_device


def title(text: str, limit: int = 60) -> str:
    """A conversation's title: its first message, on one line, cut at a word."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + "…"


def outbound_bytes(packed: PackedContext) -> bytes:
    """The packed context as the bytes the egress check reads."""
    return packed.model_dump_json().encode("utf-8")
