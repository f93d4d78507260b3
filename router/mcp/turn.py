"""Pieces of the turn pipeline's tool loop: its events and message shapes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from router.privacy.redact import Pseudonymizer
from router.types import Message, ToolCall, ToolResult


class ToolCalled(BaseModel):
    """A tool ran during the turn (or was refused): the call and what it returned."""

    model_config = ConfigDict(frozen=True)

    call: ToolCall = Field(
        description="The call as its tool got it: placeholders restored for a tool on this "
        "device, redacted for one on another machine."
    )
    result: ToolResult = Field(description="What the model reads back; `is_error` if refused.")
    notice: str | None = Field(
        default=None,
        description="For the user: why the call was not sent (a privacy rule keeps what its "
        "arguments carry, or what the turn holds, on this device); None when it was.",
    )


def exchange(text: str, calls: Sequence[ToolCall], results: Sequence[ToolResult]) -> list[Message]:
    """One round as messages: the assistant's text and calls, then the results."""
    return [
        Message(role="assistant", content=text, tool_calls=tuple(calls)),
        Message(role="user", content="", tool_results=tuple(results)),
    ]


def restored_call(call: ToolCall, pseudonymizer: Pseudonymizer | None) -> ToolCall:
    """The call with placeholders an off-device model wrote replaced by the real values.

    Tools run on the device, so they get what the user meant, not `<EMAIL_1>`.
    """
    if pseudonymizer is None:
        return call
    return call.model_copy(update={"arguments": map_text(call.arguments, pseudonymizer.restore)})


def map_text(value: Any, change: Callable[[str], str]) -> Any:
    """`value` (JSON-like arguments) with `change` applied to every string and number in it.

    A number is changed as its text and stays a number unless `change` rewrote it
    (a card number sent as an integer becomes its placeholder).
    """
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: map_text(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [map_text(v, change) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        changed = change(str(value))
        return value if changed == str(value) else changed
    return value


def texts_of(value: Any) -> list[str]:
    """Every string and number in `value` (JSON-like arguments), as text."""
    found: list[str] = []

    def keep(text: str) -> str:
        found.append(text)
        return text

    map_text(value, keep)
    return found
