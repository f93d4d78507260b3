"""One answer streaming into the chat: the pipeline's events copied into its bubbles.

No Flet here. The view-model runs one `AnswerStream` per turn it watches, a new
question's or a re-answer's (app/gui/chat/feedback.py); the events are the same.
"""

from __future__ import annotations

from app.gui.chat.attachments import chips_after
from app.gui.chat.messages import DisplayMessage, describe_end, describe_route
from router import (
    Message,
    RouteChanged,
    RouteChosen,
    Runtime,
    TokenDelta,
    ToolCalled,
    TurnFinished,
)
from router.privacy.redact import Pseudonymizer
from router.turn.events import TurnEvent


def placeholders_of(runtime: Runtime, session_id: str) -> dict[str, str]:
    """The placeholders standing in for the conversation's protected values."""
    return runtime.pipeline.pseudonyms.values(session_id)


def sent_text_of(runtime: Runtime, session_id: str, text: str) -> str:
    """`text` as the pipeline redacts it for an off-device endpoint."""
    return Pseudonymizer(runtime.pipeline.pseudonyms, session_id).redact(text)


class AnswerStream:
    """Copies one turn's events into its question's and its answer's bubbles."""

    def __init__(
        self, runtime: Runtime, session_id: str, question: DisplayMessage, reply: DisplayMessage
    ) -> None:
        self.runtime = runtime
        self.session_id = session_id
        self.question = question
        self.reply = reply
        self.route_event: RouteChosen | None = None
        """Where the turn was first routed, with what was sent; None until it is routed."""
        self.sent_messages: tuple[Message, ...] = ()
        """What the turn's request carried off the device (empty: nothing)."""

    def apply(self, event: TurnEvent) -> None:
        """Show `event` in the bubbles: the route, a token, a refused tool call, the end."""
        reply, question = self.reply, self.question
        if isinstance(event, RouteChosen):
            self.route_event = event
            self.sent_messages = event.sent_messages
            describe_route(reply, event.decision)
            question.chips = chips_after(question.chips, event.decision)
        elif isinstance(event, TokenDelta):
            reply.text += event.text
        elif isinstance(event, ToolCalled) and event.notice:
            reply.notices.append(event.notice)  # a call a privacy rule kept from leaving
        elif isinstance(event, RouteChanged):
            if event.sent_messages:  # what leaves the device for the new route
                self.sent_messages = event.sent_messages
            if not event.keeps_text:  # the new route's answer replaces the text so far
                reply.text = ""
            describe_route(reply, event.decision)
            question.chips = chips_after(question.chips, event.decision)
        elif isinstance(event, TurnFinished):
            turn = event.turn
            reply.text = turn.answer
            reply.status = turn.status
            describe_end(
                reply,
                turn,
                placeholders_of(self.runtime, self.session_id),
                sent_text_of(self.runtime, self.session_id, turn.user_text),
                self.route_event,
                self.sent_messages,
                recorded=self.runtime.ledger.sent.for_turn(turn.id),
            )

    def record_outcome(self) -> None:
        """A stopped or failed turn has no `TurnFinished`: its detail comes from the ledger."""
        event, reply = self.route_event, self.reply
        if event is None or reply.detail is not None or reply.role != "assistant":
            return
        turn = next(
            (t for t in self.runtime.ledger.turns(self.session_id) if t.id == event.turn_id), None
        )
        if turn is not None and turn.route is not None:
            sent = sent_text_of(self.runtime, self.session_id, turn.user_text)
            recorded = self.runtime.ledger.sent.for_turn(turn.id)
            placeholders = placeholders_of(self.runtime, self.session_id)
            describe_end(reply, turn, placeholders, sent, event, recorded=recorded)
