"""The chat's bubbles: what each message shows, built from live events or the ledger.

No Flet here; `view_model.py` fills these while a turn streams, and
`messages_for_turn` rebuilds them from a persisted turn after a restart, with
the ledger's record of the requests the turn sent off the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.gui.chat.attachments import AttachmentChip, chips_after
from app.gui.chat.detail.model import TurnDetail, build_detail, cost_text, where_badge
from app.gui.chat.detail.team import team_detail
from app.present.turn import route_label, stats_line
from router import Message, RouteChosen, RouteDecision, SentRequest, Turn, TurnStatus, Usage

DisplayRole = Literal["user", "assistant", "error"]


@dataclass
class DisplayMessage:
    """One bubble in the chat: who wrote it, its text, and for answers where it ran."""

    role: DisplayRole
    text: str
    route: str = ""
    """Where the turn ran and why, e.g. `on this device (local) · short question`."""
    stats: str = ""
    """Tokens, speed and latency of the answer, plus how it ended if not complete."""
    status: TurnStatus | None = None
    """The ledger status of the answer's turn; None for user messages and errors."""
    badge: str = ""
    """Where the answer ran, in one word or two: device, cloud, edge, redacted → cloud, team."""
    cost: str = ""
    """What the answer cost, e.g. `$0.0012` or `free (on this device)`."""
    detail: TurnDetail | None = None
    """What was sent and what stayed local, for the detail panel (answers only)."""
    chips: list[AttachmentChip] = field(default_factory=list)
    """The files attached to a question, each saying whether it was (or will be) sent."""
    notices: list[str] = field(default_factory=list)
    """What the user should know about the answer's tool calls: one refused by a privacy rule."""
    turn: Turn | None = None
    """The answer's turn in the ledger, once it has ended (what a rating or re-answer acts on)."""
    rating: bool | None = None
    """The user's thumbs up (True) or down (False) on the answer; None: not rated."""
    heading: str = ""
    """For a re-answer: whose answer to which question, e.g. `The cloud's answer to ...`."""
    paired: bool = False
    """The answer and its re-answer on the other tier are both shown: no third is offered."""


def messages_for_turn(
    turn: Turn,
    placeholders: dict[str, str] | None = None,
    sent_text: str = "",
    recorded: Sequence[SentRequest] = (),
) -> list[DisplayMessage]:
    """Return the bubbles a persisted turn shows: the question, then the answer.

    `placeholders` and `sent_text` (the session's protected values and the
    question as redacted for sending) feed the answer's detail panel, with
    `recorded`, the requests the turn sent (`Ledger.sent`): the panel lists the
    last exactly as it left. Without a record it shows only the rebuilt question.
    """
    answer = turn.answer
    if turn.status in ("error", "incomplete") and turn.error:
        answer = f"{answer}\n\n⚠ {turn.error}" if answer else f"⚠ {turn.error}"
    reply = DisplayMessage(role="assistant", text=answer, status=turn.status)
    question = DisplayMessage(role="user", text=turn.user_text)
    if turn.route is not None:
        describe_route(reply, turn.route)
        describe_end(
            reply, turn, placeholders or {}, sent_text or turn.user_text, recorded=recorded
        )
        question.chips = chips_after(
            [AttachmentChip(a, "send", "attached") for a in turn.attachments], turn.route
        )
        if turn.route.policy == "team":  # one request's panel does not fit a team's many
            reply.detail = team_detail(turn)
    else:
        reply.stats = stats_line(turn.usage, turn.status)
    return [question, reply]


def describe_route(reply: DisplayMessage, decision: RouteDecision) -> None:
    """Show where the answer runs and why (called again when the route changes)."""
    reply.route = route_label(decision)
    reply.badge = where_badge(decision)


def describe_end(
    reply: DisplayMessage,
    turn: Turn,
    placeholders: dict[str, str],
    sent_text: str,
    route_event: RouteChosen | None = None,
    sent_messages: Sequence[Message] = (),
    recorded: Sequence[SentRequest] = (),
) -> None:
    """Fill the answer's stats, cost and detail from its finished turn.

    `sent_messages` is what a turn watched live sent off the device;
    `recorded` is the ledger's record of it, for a turn read back later.
    """
    assert turn.route is not None
    reply.turn = turn
    usage: Usage | None = turn.usage
    reply.stats = stats_line(usage, turn.status)
    reply.cost = cost_text(usage, turn.route)
    reply.detail = build_detail(
        user_text=turn.user_text,
        attachments=turn.attachments,
        decision=turn.route,
        usage=usage,
        status=turn.status,
        placeholders=placeholders,
        sent_text=sent_text,
        input_tokens=route_event.input_tokens if route_event else None,
        dropped_turns=route_event.dropped_turns if route_event else None,
        sent_messages=sent_messages or (route_event.sent_messages if route_event else ()),
        recorded=recorded,
    )
