"""The chat view-model's thumbs and re-answer actions (no Flet; see feedback.py).

A part of `ChatViewModel` kept in its own file: it rates the answers and asks
their questions again on the other tier, streaming the new answer as the chat
streams any turn (`_drive`, `_run_turn`, which the view-model supplies).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine
from typing import Any

from app.gui.chat.feedback import (
    rateable,
    reanswer_heading,
    reanswer_tier,
    tier_of,
    toggle_rating,
)
from app.gui.chat.messages import DisplayMessage
from app.gui.chat.startup import describe_error
from router import RouteChanged, RouteChosen, TandemError
from router.runtime.feedback import Feedback, Tier
from router.turn.events import TurnEvent

CANNOT_REANSWER = "That answer cannot be asked again; ask its question anew instead."


class FeedbackActions:
    """Rate an answer (`rate`), ask its question on the other tier (`reanswer`)."""

    messages: list[DisplayMessage]
    feedback: Feedback
    error: str | None

    @property
    def can_send(self) -> bool:
        """Whether a turn may start now (the view-model says)."""
        raise NotImplementedError

    def _changed(self) -> None:
        raise NotImplementedError

    def _show_error(self, message: str) -> None:
        raise NotImplementedError

    async def _drive(self, work: Coroutine[Any, Any, None], reply: DisplayMessage) -> None:
        raise NotImplementedError

    async def _run_turn(
        self, events: AsyncIterator[TurnEvent], question: DisplayMessage, reply: DisplayMessage
    ) -> None:
        raise NotImplementedError

    def _answer_at(self, index: int) -> DisplayMessage | None:
        """The rateable answer at `index` of `messages`, if that is one."""
        message = self.messages[index] if 0 <= index < len(self.messages) else None
        return message if message is not None and rateable(message) else None

    async def rate(self, index: int, good: bool) -> None:
        """Thumbs up (`good`) or down on the answer at `index`; the same thumb again clears it."""
        message = self._answer_at(index)
        if message is None:
            return
        try:  # in a thread: the first rating loads the embedding model
            message.rating = await asyncio.to_thread(toggle_rating, self.feedback, message, good)
        except TandemError as exc:
            self._show_error(describe_error(exc))
        self._changed()

    def reanswer_refusal(self, index: int) -> str | None:
        """Why the answer at `index` cannot be asked on the other tier, in one sentence."""
        message = self._answer_at(index)
        tier = None if message is None else reanswer_tier(message)
        if message is None or message.turn is None or tier is None:
            return CANNOT_REANSWER
        return self.feedback.reanswer_refusal(message.turn, tier)

    async def reanswer(self, index: int) -> None:
        """Ask the question of the answer at `index` again on the other tier, streaming the new
        answer into the chat; nothing happens while busy or when `reanswer_refusal` says no."""
        message = self._answer_at(index)
        tier = None if message is None else reanswer_tier(message)
        if message is None or message.turn is None or tier is None or not self.can_send:
            return
        if self.reanswer_refusal(index) is not None:
            return
        first = message.turn
        follows = index == len(self.messages) - 1
        heading = reanswer_heading(tier, first.user_text, follows)
        reply = DisplayMessage(role="assistant", text="", status="in_progress", heading=heading)
        self.messages.append(reply)
        self.error = None
        # A stand-in question: the first one's chips keep saying where it was sent.
        question = DisplayMessage(role="user", text=first.user_text)
        events = _headed(self.feedback.reanswer(first, tier), reply, tier, first.user_text, follows)
        await self._drive(self._run_turn(events, question, reply), reply)
        # Paired when it completed on the other tier; else the first answer may ask again.
        paired = reply.turn is not None and self.feedback.store.pair_of(reply.turn.id) is not None
        message.paired = reply.paired = paired
        self._changed()


async def _headed(
    events: AsyncIterator[TurnEvent],
    reply: DisplayMessage,
    asked: Tier,
    question: str,
    follows: bool,
) -> AsyncGenerator[TurnEvent, None]:
    """`events`, with `reply`'s heading saying which tier answered as soon as it is routed.

    A privacy rule on the conversation so far can keep a re-answer on the device after all.
    """
    async for event in events:
        if isinstance(event, RouteChosen | RouteChanged):
            answered = tier_of(event.decision)
            reply.heading = reanswer_heading(asked, question, follows, answered)
        yield event
