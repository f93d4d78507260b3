"""The memory as the running app uses it: opened on first use, fed after each turn.

Importing chromadb and opening the index costs about a second, so a chat that
never needs the memory never pays it; the first completed turn (indexed in
the background) or the first retrieval opens it.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from router.context.retrieval import EmbeddingRetriever, HybridMemoryRetriever, Retriever
from router.errors import TandemError
from router.ledger.pseudonyms import PseudonymStore
from router.memory.settings import MemorySettings
from router.memory.store import MemoryStore, open_memory
from router.paths import TandemPaths
from router.privacy.guard import EgressPolicy
from router.types import Turn

_log = logging.getLogger(__name__)


class LiveMemory:
    """A lazily opened `MemoryStore` plus the pipeline's hooks into it."""

    def __init__(
        self,
        paths: TandemPaths,
        settings: MemorySettings,
        *,
        pseudonyms: PseudonymStore | None = None,
        policy: EgressPolicy | None = None,
    ) -> None:
        """Remember where the memory lives; nothing is opened yet.

        A memory server gets turns as the cloud saw them, redacted with
        `pseudonyms` (the pipeline's placeholders), its requests checked by
        `policy` (the runtime's egress guard).
        """
        self.paths, self.settings = paths, settings
        self.pseudonyms, self.policy = pseudonyms, policy
        self._store: MemoryStore | None = None
        self._lock = threading.Lock()
        self._fallback: EmbeddingRetriever | None = None

    def store(self) -> MemoryStore:
        """The open store (opened now if needed; may raise `TandemError`)."""
        with self._lock:
            if self._store is None:
                self._store = open_memory(
                    self.paths, self.settings, pseudonyms=self.pseudonyms, policy=self.policy
                )
            return self._store

    async def index(self, turn: Turn) -> None:
        """After-turn hook: add the completed turn to the index, off the event loop."""
        await asyncio.to_thread(lambda: self.store().add_turn(turn))

    def retriever(self, session_id: str) -> Retriever:
        """Handoff retrieval for a session: keywords + Chroma's vectors for the turns.

        If the memory cannot be opened, retrieval embeds on its own: a turn never
        fails because of its index.
        """
        try:
            return HybridMemoryRetriever(self.store(), session_id)
        except TandemError as exc:
            _log.warning("memory unavailable (%s); retrieving without it", exc.message)
            if self._fallback is None:
                self._fallback = EmbeddingRetriever()
            return self._fallback

    def close(self) -> None:
        """Close the store if it was opened."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
