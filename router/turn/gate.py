"""Keeps a live change (a model switch, a tool-host reload) from landing under a running turn.

Turns are the readers and a change is the writer: any number of turns run at
once, a change waits until none is running, and turns that start while a
change is being applied wait for it to finish. The wait for running turns is
bounded: a change that cannot get in within its time is refused with a
`TandemError` that says to wait for the reply (or stop it), so a long answer
never freezes the settings page and a swap never pulls a model or a tool host
out from under a streaming reply.

Waiting polls instead of using asyncio conditions: the GUI may close a runtime
from a different event loop than the one that ran its turns, and loop-bound
primitives would fail there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from router.errors import TandemError

_POLL_S = 0.05


class TurnGate:
    """Counts running turns and lets one change at a time in between them."""

    def __init__(self) -> None:
        self._running = 0
        self._changing = False

    @property
    def running(self) -> int:
        """How many turns are in flight now."""
        return self._running

    @property
    def changing(self) -> bool:
        """Whether a change is waiting for turns to end, or being applied."""
        return self._changing

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the gate open for one turn; waits while a change is being applied."""
        while self._changing:
            await asyncio.sleep(_POLL_S)
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1

    @asynccontextmanager
    async def exclusive(self, what: str, wait_s: float) -> AsyncIterator[None]:
        """Run the body with no turn in flight, waiting at most `wait_s` for running turns.

        `what` names the change for the error ("switch the model"). Raises
        `TandemError` when another change is under way or a turn is still
        running after `wait_s`; nothing has been changed then.
        """
        if self._changing:
            raise TandemError(
                f"cannot {what}: another change is being applied",
                "wait until it finishes, then try again",
            )
        self._changing = True  # from here new turns wait, so running ones can only end
        try:
            deadline = time.monotonic() + wait_s
            while self._running:
                if time.monotonic() >= deadline:
                    raise TandemError(
                        f"cannot {what} while a reply is being written",
                        "wait for the reply to finish (or stop it), then try again",
                    )
                await asyncio.sleep(_POLL_S)
            yield
        finally:
            self._changing = False
