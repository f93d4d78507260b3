"""The memory as the running app uses it: opened on first use, fed after each turn.

Importing chromadb and opening the index costs about a second, so a chat that
never needs the memory never pays it; the first completed turn (indexed in
the background) or the first retrieval opens it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager

import httpx

from router.context.retrieval import EmbeddingRetriever, HybridMemoryRetriever, Retriever
from router.errors import TandemError
from router.ledger.pseudonyms import PseudonymStore
from router.memory.embedding import MiniLMEmbedder
from router.memory.settings import MemorySettings
from router.memory.store import MemoryStore, open_memory
from router.memory.wire import QueryScreen
from router.paths import TandemPaths
from router.privacy.departures import Departure
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer
from router.privacy.scan import Scanner
from router.privacy.zones import KEPT
from router.types import Turn, TurnRequest

_log = logging.getLogger(__name__)

_SEARCH_SESSION = "memory-search"
"""The session a search query is scanned in (its placeholders are thrown away after)."""


class PseudonymRedactor:
    """The memory's `Redactor`: the placeholders the pipeline gave each session's values."""

    def __init__(self, pseudonyms: PseudonymStore) -> None:
        """Redact with `pseudonyms` (the ledger's store, shared with the pipeline)."""
        self.pseudonyms = pseudonyms

    def redact(self, session_id: str, text: str) -> str:
        """`text` as the cloud saw it: the session's values as their placeholders."""
        return Pseudonymizer(self.pseudonyms, session_id).redact(text)

    def values(self, session_id: str) -> Collection[str]:
        """Every value the session redacted."""
        return self.pseudonyms.values(session_id).keys()


class PolicyGuard:
    """The memory's `RequestGuard`: the runtime's `EgressPolicy` on Chroma's requests."""

    def __init__(self, policy: EgressPolicy) -> None:
        """Check requests with `policy` (the one every endpoint's transport uses)."""
        self.policy = policy

    def depart(self, request: httpx.Request, endpoint: str) -> Departure:
        """Check the (read) request and record it (see `EgressPolicy.depart`)."""
        return self.policy.depart(
            request.method,
            str(request.url),
            request.headers.raw,
            request.content,
            endpoint=endpoint,
        )

    def protect(self, values: Iterable[str]) -> AbstractContextManager[None]:
        """Block every request that carries one of `values` until the block exits."""
        return self.policy.protect(values)


class ScannerScreen:
    """The memory's `QueryScreen`: the privacy rules decide what of a search query may leave.

    A query a rule keeps local, or on the user's devices (a memory server is never one
    of them), stays here (None); one with redact-level values leaves as its placeholder
    text, which is what the server then gets the vector of.
    """

    def __init__(self, scanner: Callable[[], Scanner]) -> None:
        """Scan with `scanner()` on each query: the rules of the moment (they change live)."""
        self.scanner = scanner

    def shareable(self, query: str) -> str | None:
        """`query` as it may leave the device, or None when a rule keeps it local."""
        report = self.scanner().scan(TurnRequest(session_id=_SEARCH_SESSION, text=query), [])
        if report.action in KEPT:
            return None
        if not report.redact_values:
            return query
        # Placeholders of this query alone, in memory: the chat's store is left alone.
        pseudonymizer = Pseudonymizer(PseudonymStore(), _SEARCH_SESSION)
        pseudonymizer.register(report.redact_values)
        return pseudonymizer.redact(query)


def open_private_memory(
    paths: TandemPaths,
    settings: MemorySettings,
    embedder: MiniLMEmbedder | None = None,
    *,
    pseudonyms: PseudonymStore | None = None,
    policy: EgressPolicy | None = None,
    screen: QueryScreen | None = None,
) -> MemoryStore:
    """`open_memory` with the privacy layer: a server gets turns as the cloud saw them.

    `pseudonyms` defaults to the ledger's in `paths` (same placeholders as the
    pipeline); `policy` to a fresh egress policy (the runtime passes its own,
    which writes the record of outbound requests); `screen` to the default
    privacy rules on search queries (front ends pass the user's).
    """
    return open_memory(
        paths,
        settings,
        embedder,
        redactor=PseudonymRedactor(pseudonyms or PseudonymStore(paths.ledger_file)),
        guard=PolicyGuard(policy or EgressPolicy()),
        screen=screen or ScannerScreen(_default_scanner),
    )


@functools.cache
def _default_scanner() -> Scanner:
    """The default rules and detectors, built once (NER's model loads on first scan)."""
    return Scanner()


class LiveMemory:
    """A lazily opened `MemoryStore` plus the pipeline's hooks into it."""

    def __init__(
        self,
        paths: TandemPaths,
        settings: MemorySettings,
        *,
        pseudonyms: PseudonymStore | None = None,
        policy: EgressPolicy | None = None,
        screen: QueryScreen | None = None,
    ) -> None:
        """Remember where the memory lives; nothing is opened yet.

        A memory server gets turns as the cloud saw them, redacted with
        `pseudonyms` (the pipeline's placeholders), its requests checked by
        `policy` (the runtime's egress guard), and of a search query only what
        `screen` lets out (set before the first use; the runtime gives the pipeline's rules).
        """
        self.paths, self.settings = paths, settings
        self.pseudonyms, self.policy = pseudonyms, policy
        self.screen = screen
        self._store: MemoryStore | None = None
        self._lock = threading.Lock()
        self._fallback: EmbeddingRetriever | None = None

    def store(self) -> MemoryStore:
        """The open store (opened now if needed; may raise `TandemError`)."""
        with self._lock:
            if self._store is None:
                self._store = open_private_memory(
                    self.paths,
                    self.settings,
                    pseudonyms=self.pseudonyms,
                    policy=self.policy,
                    screen=self.screen,
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
