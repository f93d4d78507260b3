"""An off-device endpoint that plays a script per call: events, errors and stalls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from router.endpoints.base import StreamEvent
from router.endpoints.function import EndpointCall, FunctionEndpoint, StreamHandler
from router.types import EndpointKind


def play(*scripts: list[object]) -> StreamHandler:
    """Each call plays the next script (the last repeats): events, exceptions, a float = stall."""

    async def handle(call: EndpointCall) -> AsyncGenerator[StreamEvent, None]:
        for step in scripts[min(call.index, len(scripts) - 1)]:
            if isinstance(step, BaseException):
                raise step
            if isinstance(step, float):
                await asyncio.sleep(step)
                continue
            assert isinstance(step, StreamEvent)
            yield step

    return handle


class Scripted(FunctionEndpoint):
    """A `FunctionEndpoint` playing `scripts`, one per call; `.up = False` marks an outage.

    A script without a `StreamEnd` ends the stream without one (a cut connection).
    """

    def __init__(
        self,
        *scripts: list[object],
        name: str = "cloud",
        kind: EndpointKind = "cloud",
        mine: bool = False,
    ) -> None:
        super().__init__(
            play(*scripts), name=name, kind=kind, context_window=1000, fill_end=False, mine=mine
        )
