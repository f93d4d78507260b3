"""The `[context]` settings: how earlier turns reach the endpoint that serves a turn.

The top-level `Settings` composes this section with the others.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ContextSettings(BaseModel):
    """How earlier turns are carried to the endpoint that serves a turn."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

    summary: bool = Field(
        default=True, description="Keep a rolling session summary, written on this device."
    )
    recent_turns: int = Field(default=3, ge=0, description="Latest turns always sent verbatim.")
    retrieved_turns: int = Field(
        default=8,
        ge=0,
        description="Most earlier turns retrieved from memory per turn for an off-device model.",
    )
    local_retrieved_turns: int = Field(
        default=16,
        ge=0,
        description="Most earlier turns retrieved for this device's model: a small model "
        "gains more from supporting context, and its tokens are free.",
    )
    remote_prompt_tokens: int = Field(
        default=4000,
        ge=0,
        description="Cap on the prompt sent off the device, in tokens (0: the model's window).",
    )
    local_prompt_tokens: int = Field(
        default=0,
        ge=0,
        description="Cap on the prompt for this device's model (0: its window less the answer).",
    )
    summary_every_n_turns: int = Field(
        default=4, ge=1, description="Turns between two refreshes of the session summary."
    )
    summary_max_words: int = Field(
        default=150, ge=20, description="Length bound of the session summary, in words."
    )
