"""The background work after a completed turn: the after-turn hooks (the memory index)
and the conversation summary's refresh. The answer is never delayed by it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from router.context.stage import ContextStage
from router.endpoints.base import Endpoint
from router.ledger.store import Ledger
from router.privacy.scan import Scanner
from router.turn.events import AfterTurnHook
from router.types import Turn

_log = logging.getLogger("router.turn")


class BackgroundTasks:
    """Tasks started after turns, kept referenced until done, and awaited on demand."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` on the running loop without waiting for it."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every started task (and any they start) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def after_turn(
    turn: Turn,
    hooks: Sequence[AfterTurnHook],
    ledger: Ledger,
    context: ContextStage | None,
    summarizer: Endpoint | None,
    scanner: Scanner,
) -> None:
    """Give the turn to each hook, then refresh the summary with the on-device `summarizer`."""
    for hook in hooks:
        try:
            await hook(turn)
        except Exception:  # a failed index update must never fail or lose a turn
            _log.exception("after-turn hook failed for turn %s", turn.id)
    if context is None or summarizer is None:
        return
    try:
        await context.after_turn(
            turn.session_id, ledger.turns(turn.session_id), summarizer, scanner
        )
    except Exception:  # the summary is an optimisation; the ledger has every turn
        _log.exception("summary refresh failed for session %s", turn.session_id)
