"""The conversation list: new, open, rename, delete and search (no Flet here).

Search asks the memory (Chroma, like `tandem memory search`) for the turns most
similar to the query, off the event loop, and lists their conversations best
first; titles containing the query come first. Without a memory index it
falls back to matching titles and the text of the turns. A query the privacy
rules keep on the device is not sent to a shared memory server; the list says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from app.present.memory import snippet
from router import Runtime, SessionInfo, TandemError

SEARCH_HITS = 20
"""Turns asked of the memory per search; their conversations are listed."""
MIN_SCORE = 0.2
"""Memory hits less similar than this are noise, not matches."""


@dataclass(frozen=True)
class ConversationItem:
    """One row of the list: a conversation and, in search results, why it matched."""

    id: str
    title: str
    turns: int
    match: str = ""
    """For search results: the matching turn as one line, or `title matches`."""


class ConversationsViewModel:
    """State of the conversation list of one page; `on_change` runs after each change."""

    def __init__(
        self,
        runtime: Runtime,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self.items: list[ConversationItem] = []
        self.query = ""
        self.searching = False
        self.error: str | None = None
        self.renaming: str | None = None
        """Id of the conversation whose title is being edited, if any."""
        self.rebuild_progress: float | None = None
        """While the search index is rebuilt: the share done (0 before the count is known)."""
        self.notice: str | None = None
        """A finished action's outcome, e.g. how many turns the rebuild indexed."""

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def refresh(self) -> None:
        """List every conversation, newest first (or re-run the search being shown)."""
        if self.query:
            self.items = self._title_matches(self.query, self.runtime.ledger.sessions())
        else:
            self.items = [_item(s) for s in self.runtime.ledger.sessions()]
        self._changed()

    async def search(self, query: str) -> None:
        """Show the conversations matching `query`; a blank query lists them all."""
        self.query = query.strip()
        self.error = self.notice = None
        if not self.query:
            self.refresh()
            return
        self.searching = True
        self._changed()
        sessions = self.runtime.ledger.sessions()
        items = self._title_matches(self.query, sessions)
        try:
            items += await self._content_matches(self.query, sessions, {i.id for i in items})
        except Exception as exc:  # titles still match; say why the rest is missing
            why = exc.message if isinstance(exc, TandemError) else f"{type(exc).__name__}: {exc}"
            self.error = f"only titles were searched; the memory index failed: {why}"
        finally:
            self.searching = False
        if query.strip() == self.query:  # a newer search may have started meanwhile
            self.items = items
        self._changed()

    def start_rename(self, session_id: str) -> None:
        """Put a conversation's title into edit mode."""
        self.renaming = session_id
        self._changed()

    def rename(self, session_id: str, title: str) -> None:
        """Retitle a conversation; a blank title keeps the old one."""
        self.renaming = None
        if title.strip() and not self.runtime.ledger.rename_session(session_id, title):
            self.error = "that conversation has no turns yet; ask something first"
        self.refresh()

    async def delete(self, session_id: str) -> None:
        """Delete a conversation from the ledger and from the memory index."""
        self.runtime.ledger.delete_session(session_id)
        memory = self.runtime.memory
        if memory is not None:
            try:
                await asyncio.to_thread(lambda: memory.store().delete_session(session_id))
            except TandemError as exc:  # the ledger is the truth; a rebuild drops the rest
                self.error = f"deleted, but the memory index kept its turns: {exc.message}"
        self.refresh()

    def _title_matches(self, query: str, sessions: list[SessionInfo]) -> list[ConversationItem]:
        needle = query.casefold()
        return [_item(s, "title matches") for s in sessions if needle in s.title.casefold()]

    async def _content_matches(
        self, query: str, sessions: list[SessionInfo], seen: set[str]
    ) -> list[ConversationItem]:
        by_id = {s.id: s for s in sessions}
        memory = self.runtime.memory
        found: list[ConversationItem] = []
        if memory is None:
            # No index: a plain text match over the ledger's turns.
            needle = query.casefold()
            for s in sessions:
                turns = self.runtime.ledger.turns(s.id)
                turn = next((t for t in turns if needle in t.user_text.casefold()), None)
                if turn is not None and s.id not in seen:
                    found.append(_item(s, turn.user_text))
                    seen.add(s.id)
            return found
        result = await asyncio.to_thread(lambda: memory.store().search_report(query, k=SEARCH_HITS))
        self.notice = result.note or None  # a query the rules keep here skips a memory server
        for hit in result.hits:
            session = by_id.get(hit.session_id)
            if session is None or hit.session_id in seen or hit.score < MIN_SCORE:
                continue
            seen.add(hit.session_id)
            found.append(_item(session, snippet(hit, 80)))
        return found

    async def rebuild_index(self) -> None:
        """Recreate the search index from the ledger in a worker thread, showing progress.

        The ledger holds every turn, so nothing is lost; searches meanwhile see a
        partial index. A failure leaves a message saying what to do.
        """
        memory = self.runtime.memory
        self.notice = self.error = None
        if memory is None:
            self.error = "the search index is off; set [memory] enabled = true to use it"
            self._changed()
            return
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int) -> None:  # called from the worker thread
            loop.call_soon_threadsafe(self._rebuilt_so_far, done, total)

        self.rebuild_progress = 0.0
        self._changed()
        try:
            ledger = self.runtime.ledger
            count = await asyncio.to_thread(lambda: memory.store().rebuild(ledger, progress))
            self.notice = f"search index rebuilt: {count} turns indexed"
        except TandemError as exc:
            self.error = f"the search index could not be rebuilt: {exc.message}"
        finally:
            self.rebuild_progress = None
        self._changed()

    def _rebuilt_so_far(self, done: int, total: int) -> None:
        if self.rebuild_progress is not None and total > 0:
            self.rebuild_progress = min(done / total, 1.0)
            self._changed()


def _item(session: SessionInfo, match: str = "") -> ConversationItem:
    return ConversationItem(session.id, session.title, session.turns, match)
