"""Pieces of the turn pipeline's tool loop: its events and message shapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from router.privacy.redact import Pseudonymizer
from router.types import Message, ToolCall, ToolResult


class ToolCalled(BaseModel):
    """A tool ran during the turn (or was refused): the call and what it returned."""

    model_config = ConfigDict(frozen=True)

    call: ToolCall = Field(description="The call as it ran (placeholders restored).")
    result: ToolResult = Field(description="What the model reads back; `is_error` if refused.")


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
    return call.model_copy(update={"arguments": _restore(call.arguments, pseudonymizer)})


def _restore(value: Any, pseudonymizer: Pseudonymizer) -> Any:
    if isinstance(value, str):
        return pseudonymizer.restore(value)
    if isinstance(value, dict):
        return {k: _restore(v, pseudonymizer) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, pseudonymizer) for v in value]
    return value
