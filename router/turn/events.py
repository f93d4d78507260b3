"""The typed events a turn yields; the GUI, the CLI and the MCP server render them alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field

from router.endpoints.base import TokenDelta
from router.mcp.turn import ToolCalled, ToolResultKeptLocal
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


class EscalationStarted(BaseModel):
    """Cascade: the device's answer was not confident enough; an off-device endpoint takes over."""

    model_config = ConfigDict(frozen=True)

    decision: RouteDecision = Field(description="The escalated route, its reason naming why.")
    confidence: float = Field(description="The local answer's confidence in [0, 1].")
    withdrawn_text: str = Field(description="The local answer; it is replaced, not kept.")
    sent_messages: tuple[Message, ...] = Field(
        default=(), description="The messages as they leave the device for the escalation."
    )


TurnEvent = (
    RouteChosen
    | TokenDelta
    | FallbackStarted
    | EscalationStarted
    | ToolCalled
    | ToolResultKeptLocal
    | TurnFinished
)
