"""Rendering at most once a frame: a burst of view-model changes becomes one page update.

A streamed answer changes the chat's state once per token, and a mesh round of
a team sends N(N-1) messages at once; pushing the page for each would flood the
client. A view holds a `CoalescedRender` around its `render` and calls
`request` on every change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

FRAME_S = 0.05
"""The shortest time between two renders of one view."""


class CoalescedRender:
    """`request` schedules one call of `render` within `frame_s`, however often it is called."""

    def __init__(self, render: Callable[[], None], frame_s: float = FRAME_S) -> None:
        self.render = render
        self.frame_s = frame_s
        self._pending = False

    def request(self) -> None:
        """Schedule a render soon, coalescing a burst of changes into one update."""
        if not self._pending:
            self._pending = True
            asyncio.get_running_loop().call_later(self.frame_s, self._flush)

    def _flush(self) -> None:
        self._pending = False
        self.render()
