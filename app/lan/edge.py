"""The edge API's model on the LAN server: whichever on-device model the app uses now.

The app may switch models while it serves (router/runtime/compose.py `switch_model`), so
the edge API must not hold on to the endpoint it started with: `DeviceModel` looks up the
runtime's `local` endpoint at each call, and each generation holds the runtime's turn gate,
so a switch waits for a phone's answer as it waits for the app's own turns.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

from router import Runtime
from router.endpoints.base import Endpoint, StreamEvent
from router.types import GenerationOptions, Message, ToolSpec

MODEL_ID = "tandem-edge"
"""The name the phone app uses for this model: the one `tandem edge serve` gives it."""


class DeviceModel(Endpoint):
    """The runtime's on-device endpoint of the moment, as one stable endpoint."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.name = "local"
        self.kind = "local"

    @property
    def context_window(self) -> int:
        """The current model's context window."""
        return self.runtime.local.context_window

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream the current model's answer, holding the turn gate while it runs."""
        async with self.runtime.turns.turn():
            async for event in self.runtime.local.stream(messages, options, tools):
                yield event

    async def prepare(self) -> None:
        """Load the current model if it is not loaded yet."""
        await self.runtime.local.prepare()

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt tokens of `messages` with the current model's tokenizer."""
        return self.runtime.local.count_tokens(messages)
