"""An off-device endpoint that plays a script per call: events, errors and stalls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence

from router.endpoints.base import Endpoint, StreamEnd, StreamEvent, TokenDelta
from router.types import EndpointKind, GenerationOptions, Message, ToolSpec


class Scripted(Endpoint):
    """Each call plays the next script: a list of events or exceptions (a float = stall)."""

    def __init__(
        self, *scripts: list[object], name: str = "cloud", kind: EndpointKind = "cloud"
    ) -> None:
        self.name, self.kind = name, kind
        self.scripts = list(scripts)
        self.calls = 0
        self.up = True

    def available(self) -> bool:
        return self.up

    @property
    def context_window(self) -> int:
        return 1000

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        script = self.scripts[min(self.calls, len(self.scripts) - 1)]
        self.calls += 1
        for step in script:
            if isinstance(step, BaseException):
                raise step
            if isinstance(step, float):
                await asyncio.sleep(step)
                continue
            assert isinstance(step, TokenDelta | StreamEnd)
            yield step
