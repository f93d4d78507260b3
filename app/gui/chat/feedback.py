"""Learning from use in the chat: the thumbs under each answer and its re-answer button.

No Flet here. Each answer the device or an off-device endpoint gave can be rated
(thumbs up or down; the same thumb again takes the rating back) and asked again on
the other tier: "Ask the cloud" under a device answer, "Answer on this device" under
an off-device one. The ratings and the pairs of answers go to the ledger through the
runtime's one `Feedback` (app/gui/services/feedback.py), and the routing policies read
them on the next question; the Dashboard shows what they learned.

A re-answer is shown as an answer of its own, headed with whose answer to which
question it is (`reanswer_heading`); `restore` puts the headings and the ratings back
when a conversation is reopened. Team answers have no tier, so they offer neither.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.gui.chat.messages import DisplayMessage
from router import RouteDecision, Turn
from router.ledger.feedback import FeedbackStore
from router.runtime.feedback import Feedback, Tier
from router.types import is_on_device

REANSWER_LABELS: dict[Tier, str] = {"cloud": "Ask the cloud", "device": "Answer on this device"}
"""The re-answer button's text, by the tier it asks."""
_WHOSE: dict[Tier, str] = {"cloud": "The cloud's answer", "device": "This device's answer"}
_WHO: dict[Tier, str] = {"cloud": "the cloud", "device": "this device"}
_QUOTE_CHARS = 60  # a heading quotes the question's opening, not a whole page


def tier_of(decision: RouteDecision) -> Tier:
    """The tier a route runs on: this device, or off it."""
    return "device" if is_on_device(decision.endpoint_kind) else "cloud"


def answered_on(turn: Turn) -> Tier | None:
    """The tier that answered `turn`; None for a turn without a route, or a team's."""
    route = turn.route
    if route is None or route.policy == "team":
        return None
    return tier_of(route)


def rateable(message: DisplayMessage) -> bool:
    """Whether `message` is a finished answer of one tier, which the thumbs can rate."""
    turn = message.turn
    return (
        message.role == "assistant"
        and message.status == "complete"
        and turn is not None
        and answered_on(turn) is not None
    )


def reanswer_tier(message: DisplayMessage) -> Tier | None:
    """The tier the answer's re-answer button asks (the other one); None: no button."""
    if not rateable(message) or message.paired or message.turn is None:
        return None
    return "cloud" if answered_on(message.turn) == "device" else "device"


def reanswer_label(message: DisplayMessage) -> str | None:
    """The answer's re-answer button text, e.g. `Ask the cloud`; None: no button."""
    tier = reanswer_tier(message)
    return None if tier is None else REANSWER_LABELS[tier]


def reanswer_heading(
    asked: Tier, question: str, follows: bool, answered: Tier | None = None
) -> str:
    """What heads a re-answer `asked` of a tier: whose answer to which question it is.

    "The same question" when it `follows` the first answer, else the question's opening
    in quotes. When a privacy rule kept it on the device after all (`answered`), it says so.
    """
    if follows:
        what = "the same question"
    else:
        short = question if len(question) <= _QUOTE_CHARS else question[: _QUOTE_CHARS - 1]
        what = f"“{short}”" if short == question else f"“{short}…”"
    if answered is None or answered == asked:
        return f"{_WHOSE[asked]} to {what}"
    return f"You asked {_WHO[asked]}; {_WHO[answered]} answered {what}"


def toggle_rating(feedback: Feedback, message: DisplayMessage, good: bool) -> bool | None:
    """Rate the answer `good` (or not); the thumb it already has takes the rating back.

    Returns the rating now stored (None: none). Embeds the question: run it in a thread.
    """
    assert message.turn is not None
    if message.rating is good:
        feedback.clear_rating(message.turn)
        return None
    return feedback.rate(message.turn, good).good


def restore(
    turn: Turn,
    bubbles: list[DisplayMessage],
    store: FeedbackStore,
    shown: Sequence[DisplayMessage],
) -> list[DisplayMessage]:
    """`turn`'s bubbles (question, answer) with the rating and pair the ledger holds.

    A re-answer loses its question (the first answer's is shown already) and gets its
    heading; `shown` are the conversation's bubbles before it.
    """
    reply = bubbles[-1]
    rating = store.rating(turn.id)
    reply.rating = None if rating is None else rating.good
    pair = store.pair_of(turn.id)
    tier = answered_on(turn)
    if pair is None or tier is None:
        return bubbles
    reply.paired = True
    if pair.reanswer_id != turn.id:
        return bubbles
    before = shown[-1].turn if shown else None
    reply.heading = reanswer_heading(
        tier, turn.user_text, before is not None and before.id == pair.turn_id
    )
    return [reply]
