"""The typed events a turn yields; the GUI, the CLI and the MCP server render them alike.

A turn starts with `RouteChosen` and ends with `TurnFinished`; in between come
`TokenDelta`s, `ToolCalled`s and, when the turn moves to another endpoint, one
`RouteChanged` per move (a fallback, an escalation, or a tool result that must
stay on the device). Front ends handle `RouteChanged` once; its subclasses say why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field

from router.endpoints.base import TokenDelta
from router.mcp.turn import ToolCalled
from router.types import Message, RouteDecision, Turn

AfterTurnHook = Callable[[Turn], Awaitable[None]]
"""Async callback given each completed turn (the memory index registers one)."""


class RouteChosen(BaseModel):
    """First event of a turn: where it runs and what it carries."""

    model_config = ConfigDict(frozen=True)

    turn_id: str = Field(description="Ledger id of the turn.")
    decision: RouteDecision = Field(description="The policy's decision, with its reason.")
    input_tokens: int = Field(description="Prompt tokens sent to the endpoint.")
    dropped_turns: int = Field(description="Earlier turns left out of the context.")
    sent_messages: tuple[Message, ...] = Field(
        default=(),
        description="The messages exactly as they leave the device (placeholders in place) "
        "for an off-device endpoint; empty when the turn runs on the device.",
    )


class RouteChanged(BaseModel):
    """The turn moved to another endpoint; the subclass says why."""

    model_config = ConfigDict(frozen=True)

    decision: RouteDecision = Field(description="The new route, its reason naming why.")
    reason: str = Field(description="Why the route changed, for the user.")
    withdrawn_text: str = Field(
        default="",
        description="Text shown so far that the new route replaces (empty when it is kept).",
    )
    sent_messages: tuple[Message, ...] = Field(
        default=(),
        description="The messages as they leave the device for the new route "
        "(empty when it runs on the device).",
    )
    keeps_text: bool = Field(
        default=False,
        description="True when the new route continues the answer shown so far; "
        "otherwise its answer replaces that text.",
    )

    @property
    def summary(self) -> str:
        """One line for the user saying what happened."""
        return self.decision.reason


class FallbackStarted(RouteChanged):
    """The chosen off-device endpoint failed; the device answers the turn instead."""

    @property
    def summary(self) -> str:
        """One line for the user saying what happened."""
        return f"{self.reason}: answering on this device instead"


class EscalationStarted(RouteChanged):
    """Cascade: the device's answer was not confident enough; an off-device endpoint takes over."""

    confidence: float = Field(description="The local answer's confidence in [0, 1].")


class ToolResultKeptLocal(RouteChanged):
    """A tool result carries data a privacy rule keeps local: the device finishes the turn."""

    keeps_text: bool = Field(
        default=True, description="The device continues the answer shown so far."
    )

    @property
    def summary(self) -> str:
        """One line for the user saying what happened."""
        return f"a tool result {self.reason}: finishing on this device"


class TurnFinished(BaseModel):
    """Last event of a turn: the persisted record."""

    model_config = ConfigDict(frozen=True)

    turn: Turn = Field(description="The turn as the ledger stored it.")


TurnEvent = RouteChosen | TokenDelta | ToolCalled | RouteChanged | TurnFinished

__all__ = [
    "AfterTurnHook",
    "EscalationStarted",
    "FallbackStarted",
    "RouteChanged",
    "RouteChosen",
    "TokenDelta",
    "ToolCalled",
    "ToolResultKeptLocal",
    "TurnEvent",
    "TurnFinished",
]
