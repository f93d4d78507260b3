"""The `Endpoint` seam: one async streaming method, plus token counting and cost.

Every model Tandem can talk to (llama.cpp in-process, Anthropic, an edge box, a
test fake) implements this, so the turn pipeline never knows which it drives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from router.tokens import estimate_tokens
from router.types import (
    EndpointKind,
    GenerationOptions,
    Message,
    ToolCall,
    ToolSpec,
    Usage,
    Zone,
    is_on_device,
    zone_of,
)

FinishReason = Literal["stop", "length", "cancelled", "tool_use"]


class TokenDelta(BaseModel):
    """A piece of generated text, as soon as the endpoint produced it."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="Generated text since the previous delta.")


class ToolCallRequested(BaseModel):
    """The model asks for a tool to run; the caller runs it and sends a `ToolResult` back."""

    model_config = ConfigDict(frozen=True)

    call: ToolCall = Field(description="The tool call, with its parsed arguments.")


class StreamEnd(BaseModel):
    """The last event of every stream: why it stopped and what it cost."""

    model_config = ConfigDict(frozen=True)

    usage: Usage = Field(description="Tokens, timings and cost of the whole generation.")
    finish_reason: FinishReason = Field(description="Why generation stopped.")


StreamEvent = TokenDelta | ToolCallRequested | StreamEnd


@dataclass(frozen=True)
class ScoredAnswer:
    """A non-streamed answer with per-token log-probabilities and entropies."""

    text: str
    token_logprobs: tuple[float, ...]
    token_entropies: tuple[float, ...]
    usage: Usage = field(default_factory=Usage)


class Endpoint(ABC):
    """A model that streams answers to chat messages."""

    name: str
    kind: EndpointKind
    mine: bool = False
    """An edge the user marked as one of their own devices (`[[endpoints]] mine`)."""

    @property
    def on_device(self) -> bool:
        """True when the endpoint runs on this device: what it is sent never leaves it."""
        return is_on_device(self.kind)

    @property
    def zone(self) -> Zone:
        """The trust zone it runs in: this device, the user's devices, or the cloud."""
        return zone_of(self.kind, self.mine)

    @property
    @abstractmethod
    def context_window(self) -> int:
        """Most tokens (prompt plus answer) one request may use."""

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream the answer to `messages`: `TokenDelta`s, then exactly one `StreamEnd`.

        With `tools`, the model may also emit `ToolCallRequested` events and end
        with finish_reason `tool_use`; endpoints without tool support ignore
        `tools`. Closing the iterator early (or cancelling the task consuming
        it) stops generation promptly.
        """

    def available(self) -> bool:
        """Whether routing to this endpoint now makes sense (False while it is known down)."""
        return True

    async def prepare(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Get ready to serve (load weights, open connections); a no-op by default."""

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Estimate the prompt tokens `messages` take; subclasses count exactly."""
        # About four characters a token for English, plus per-message framing.
        return sum(estimate_tokens(m.content) + 4 for m in messages)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Return the price in USD of a call with these token counts."""
        return 0.0

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release resources held by the endpoint."""
