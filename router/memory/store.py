"""`MemoryStore`: every conversation turn indexed in Chroma for search and retrieval.

The SQLite ledger stays the source of truth; this index can always be rebuilt
from it (`rebuild`). By default the index lives in this device's data folder
(an embedded Chroma). With `memory.server_url` set, turns go to a shared
`chroma run` server, except keep-local ones: those are indexed on this device
only, and a search asks both places and merges the hits by score.

The server receives only what may leave: a turn as the cloud saw it (every
value the session's pseudonym store knows replaced by its placeholder, and
embedded as such), through the egress guard. A conversation's search ranks
the server's vectors on this device, so its query embedding is never sent. A
search over every conversation asks the privacy rules (`QueryScreen`) first:
the server gets the vector of the query as it may leave (placeholders for
redact-level values), and a query a rule keeps local, or any query when no
rules were given, is searched on this device only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from router.ledger.store import Ledger
from router.memory.embedding import MiniLMEmbedder, Vectors, shared_embedder
from router.memory.errors import MemoryServerError
from router.memory.index import EmbeddedIndex
from router.memory.records import (
    MemoryHit,
    MemorySearch,
    delete_sessions,
    document,
    hits_from,
    indexable,
    metadata,
    nearest_rows,
    privacy,
    ranked_here,
    session_rows,
    shareable,
    where_clause,
)
from router.memory.server_index import ServerIndex
from router.memory.settings import MemorySettings
from router.memory.wire import QueryScreen, Redactor, RequestGuard
from router.paths import TandemPaths
from router.types import KEPT_ACTIONS, Turn

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

__all__ = [
    "Index",
    "MemoryHit",
    "MemorySearch",
    "MemoryStore",
    "Progress",
    "document",
    "indexable",
    "memory_folder",
    "open_memory",
]

_BATCH = 64
Index = EmbeddedIndex | ServerIndex
Progress = Callable[[int, int], None]


class MemoryStore:
    """The Chroma index of every turn: add, search, rebuild from the ledger."""

    def __init__(
        self,
        device: EmbeddedIndex,
        server: ServerIndex | None = None,
        embedder: MiniLMEmbedder | None = None,
        *,
        redactor: Redactor | None = None,
        screen: QueryScreen | None = None,
    ) -> None:
        """Use `device` for local turns, and `server` (if any) for turns allowed to leave.

        `redactor` (the session placeholders) redacts what goes to the server;
        without it nothing goes there, since clear text could not be told apart.
        `screen` (the privacy rules) says what of a query searching every
        conversation may go there; without it no such query does.
        """
        self._device = device
        self._server = server
        self._embedder = embedder or shared_embedder()
        self._redactor = redactor
        self._screen = screen

    @property
    def indexes(self) -> tuple[Index, ...]:
        """Where turns are stored: the device index, then the server if configured."""
        return (self._device,) if self._server is None else (self._device, self._server)

    def _home(self, turn: Turn) -> Index:
        # A memory server is never one of the user's devices: keep_mine turns stay here too.
        if self._server is None or self._redactor is None or privacy(turn) in KEPT_ACTIONS:
            return self._device
        return self._server

    def _stored(self, turn: Turn) -> Turn:
        """The turn as its index stores it: as the cloud saw it when that is the server."""
        if self._redactor is None or self._home(turn) is self._device:
            return turn
        return shareable(turn, self._redactor)

    def add_turn(self, turn: Turn) -> bool:
        """Index one turn (upsert by turn id); return False if the turn is not indexable."""
        return self.add_turns([turn]) == 1

    def add_turns(self, turns: Iterable[Turn], progress: Progress | None = None) -> int:
        """Index many turns in batches (upsert by turn id); return how many were indexable."""
        todo = [t for t in turns if indexable(t)]
        for start in range(0, len(todo), _BATCH):
            batch = [self._stored(t) for t in todo[start : start + _BATCH]]
            self._add(batch, self._embedder.embed([document(t) for t in batch]))
            if progress:
                progress(start + len(batch), len(todo))
        return len(todo)

    def add_embedded(self, turns: Sequence[Turn], vectors: Vectors) -> None:
        """Index turns whose `document` text is already embedded (one row of `vectors` each).

        For bulk loads that embed elsewhere (another thread pool, a benchmark);
        the caller is responsible for the vectors matching `document(turn)`.
        """
        keep = [i for i, t in enumerate(turns) if indexable(t)]
        batch = [self._stored(turns[i]) for i in keep]
        rows = vectors[keep]
        redone = [n for n, i in enumerate(keep) if batch[n] is not turns[i]]
        if redone:
            # A vector of the clear text would carry what the placeholders hide.
            rows[redone] = self._embedder.embed([document(batch[n]) for n in redone])
        self._add(batch, rows)

    def _add(self, batch: list[Turn], rows: Vectors) -> None:
        for index in self.indexes:
            mine = [i for i, t in enumerate(batch) if self._home(t) is index]
            elsewhere = [t.id for t in batch if self._home(t) is not index]
            self._put(index, [batch[i] for i in mine], rows[mine], elsewhere)

    def _put(self, index: Index, turns: list[Turn], vectors: Vectors, elsewhere: list[str]) -> None:
        def action(col: Collection) -> None:
            # A turn lives in one place only: a turn re-labelled keep-local leaves the
            # server. Only its random id is sent for that, never its text or metadata.
            if elsewhere:
                col.delete(ids=elsewhere)
            if turns:
                col.upsert(
                    ids=[t.id for t in turns],
                    embeddings=vectors,
                    documents=[document(t) for t in turns],
                    metadatas=[metadata(t) for t in turns],
                )

        if not (turns or (elsewhere and self._server is not None)):
            return
        if isinstance(index, ServerIndex) and self._redactor is not None:
            # The guard's backstop: a value the placeholders should have hidden is blocked.
            known = {v for t in turns for v in self._redactor.values(t.session_id)}
            with index.protect(known):
                index.write(action)
        else:
            index.write(action)

    def search(
        self,
        query: str,
        *,
        session_id: str | None = None,
        k: int = 5,
        exclude_turn_ids: Sequence[str] = (),
        device_only: bool = False,
    ) -> list[MemoryHit]:
        """Return up to `k` earlier turns most similar to `query`, best first.

        `device_only` searches this device's index alone, so nothing is sent to a
        memory server (with one, that index holds the keep-local turns).
        """
        if device_only:
            return self.search_vector(
                self._embedder.embed_one(query),
                session_id=session_id,
                k=k,
                exclude_turn_ids=exclude_turn_ids,
                device_only=True,
            )
        return self.search_report(
            query, session_id=session_id, k=k, exclude_turn_ids=exclude_turn_ids
        ).hits

    def search_report(
        self,
        query: str,
        *,
        session_id: str | None = None,
        k: int = 5,
        exclude_turn_ids: Sequence[str] = (),
    ) -> MemorySearch:
        """Like `search`, saying too whether the server was left out (for the user)."""
        vector = self._embedder.embed_one(query)
        shared: Vectors | None = vector
        if self._server is not None and session_id is None:
            shared = self._shared_vector(query, vector)
        hits = self.search_vector(
            vector,
            session_id=session_id,
            k=k,
            exclude_turn_ids=exclude_turn_ids,
            server_vector=shared,
        )
        return MemorySearch(hits, server_skipped=shared is None)

    def _shared_vector(self, query: str, vector: Vectors) -> Vectors | None:
        """The vector of `query` as it may leave the device; None when it may not."""
        shared = self._screen.shareable(query) if self._screen is not None else None
        if shared is None:
            return None
        return vector if shared == query else self._embedder.embed_one(shared)

    def search_vector(
        self,
        vector: Vectors,
        *,
        session_id: str | None = None,
        k: int = 5,
        exclude_turn_ids: Sequence[str] = (),
        device_only: bool = False,
        server_vector: Vectors | None = None,
    ) -> list[MemoryHit]:
        """Like `search`, for an already embedded query (a 384-d unit vector).

        Within one conversation, the server's vectors for it are fetched and ranked
        here: the query (a keep-local question's too) never leaves the device. A
        search over every conversation sends the server `server_vector` only (the
        vector of the query as it may leave), and leaves the server out without one.
        """
        if k <= 0:
            return []
        where = where_clause(session_id, exclude_turn_ids)
        hits: list[MemoryHit] = []
        for index in (self._device,) if device_only else self.indexes:
            query = vector
            if index is self._server:
                if session_id is not None:
                    rows = index.read(partial(session_rows, where=where))
                    hits.extend(hits_from(ranked_here(rows, vector, k), index.where))
                    continue
                if server_vector is None:
                    continue
                query = server_vector
            hits.extend(
                hits_from(
                    index.read(partial(nearest_rows, vector=query, k=k, where=where)), index.where
                )
            )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def count(self) -> int:
        """How many turns are indexed, in every place."""
        return sum(index.read(lambda col: col.count()) for index in self.indexes)

    def count_by(self) -> dict[str, int]:
        """Indexed turns per place (`device`, `server`) and keep-local ones (`keep_local`)."""
        counts: dict[str, int] = {
            index.where: index.read(lambda col: col.count()) for index in self.indexes
        }
        local = self._device.read(
            lambda col: len(col.get(where={"privacy_action": "keep_local"}, include=[])["ids"])
        )
        return {**counts, "keep_local": local}

    def delete_session(self, session_id: str) -> None:
        """Remove every indexed turn of one conversation."""
        for index in self.indexes:
            index.write(lambda col: col.delete(where={"session_id": session_id}))

    def rebuild(self, ledger: Ledger, progress: Progress | None = None) -> int:
        """Recreate the index from the ledger; return how many turns were indexed.

        Indexes what `indexable` accepts: complete turns, and stopped ones with text.
        The device index is dropped and recreated. A shared server also holds other
        devices' conversations, so there only this ledger's conversations are replaced.
        """
        sessions = ledger.sessions()
        turns = [t for s in sessions for t in ledger.turns(s.id) if indexable(t)]
        self._device.reset()
        if self._server is not None:
            ids = [s.id for s in sessions]
            for start in range(0, len(ids), _BATCH):
                self._server.write(partial(delete_sessions, ids=ids[start : start + _BATCH]))
        if progress:
            progress(0, len(turns))
        return self.add_turns(turns, progress)

    def close(self) -> None:
        """Release the indexes (the store cannot be used afterwards)."""
        for index in self.indexes:
            index.close()

    def __enter__(self) -> MemoryStore:
        """Use the store in a `with` block that closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()


def memory_folder(paths: TandemPaths) -> Path:
    """The on-device index's folder: `<data dir>/memory`."""
    return paths.data_dir / "memory"


def open_memory(
    paths: TandemPaths,
    settings: MemorySettings,
    embedder: MiniLMEmbedder | None = None,
    *,
    redactor: Redactor | None = None,
    guard: RequestGuard | None = None,
    screen: QueryScreen | None = None,
) -> MemoryStore:
    """Open the memory `settings` (the `memory` section) describe: this device, plus a server.

    A server needs the privacy layer: `redactor` for what it may store, `guard`
    for its requests and `screen` for what of a query it may see
    (`router.runtime.memory.open_private_memory` passes all three).
    """
    name = settings.collection
    if settings.server_url and (redactor is None or guard is None):
        raise MemoryServerError(
            "a memory server needs the privacy layer's redactor and egress guard",
            "open the memory with router.runtime.memory.open_private_memory",
        )
    device = EmbeddedIndex(memory_folder(paths), name)
    server = None
    if settings.server_url and guard is not None:
        try:
            server = ServerIndex(settings.server_url, name, guard=guard)
        except BaseException:
            device.close()
            raise
    return MemoryStore(device, server, embedder, redactor=redactor, screen=screen)
