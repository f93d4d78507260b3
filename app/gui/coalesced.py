"""Rendering at most once a frame: a burst of view-model changes becomes one page update.

A streamed answer changes the chat's state once per token, and a mesh round of
a team sends N(N-1) messages at once; pushing the page for each would flood the
client. Views that inherit `CoalescedRender` call `request_render` on every
change and implement `render`.
"""

from __future__ import annotations

import asyncio

FRAME_S = 0.05
"""The shortest time between two renders of one view."""


class CoalescedRender:
    """`request_render` schedules one `render` within `frame_s`, however often it is called."""

    frame_s: float = FRAME_S
    _render_pending: bool = False

    def render(self) -> None:
        """Bring the controls in line with the view-model and push the page (subclasses)."""
        raise NotImplementedError

    def request_render(self) -> None:
        """Schedule a `render` soon, coalescing a burst of changes into one update."""
        if not self._render_pending:
            self._render_pending = True
            asyncio.get_running_loop().call_later(self.frame_s, self._flush)

    def _flush(self) -> None:
        self._render_pending = False
        self.render()
