"""Page events shared by several views (a page has one handler slot per event)."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft


def chain_page_event(page: ft.Page, event: str, handler: Any) -> None:
    """Add `handler` to a page event without replacing a handler another view set."""
    previous = getattr(page, event)

    async def both(e: Any) -> None:
        handler(e)
        if previous is not None:
            result = previous(e)
            if asyncio.iscoroutine(result):
                await result

    setattr(page, event, both)
