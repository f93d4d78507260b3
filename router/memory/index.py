"""The on-device Chroma collection behind the memory, safe across threads and processes.

Chroma's embedded client is not safe across processes: two processes opening a
fresh folder race on its schema migration, and a process keeps its own
in-memory HNSW graph, so it never sees vectors another process added. So every
operation on an on-device index runs under a cross-process file lock, and each
write bumps a generation token in the folder; a process that finds a token it
did not write reopens its client before touching the index.

chromadb is imported when an index is first opened, so the router imports without it
(a phone): opening one then raises `MemoryIndexError` saying memory search is off.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from router.memory.errors import MemoryIndexError, MemoryLockedError
from router.memory.process_lock import ProcessLock
from router.optional import missing_sentence

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.config import Settings

LOCK_TIMEOUT_S = 30.0
_LOCK_NAME = "tandem-memory.lock"
_OWNER_NAME = "tandem-memory.lock.owner"
_GENERATION_NAME = "tandem-memory.generation"
_CONFIGURATION: dict[str, Any] = {"hnsw": {"space": "cosine"}}
T = TypeVar("T")


def chromadb_module() -> ModuleType:
    """The chromadb package, or `MemoryIndexError` saying memory search is off without it."""
    try:
        import chromadb
    except ImportError:
        sentence = missing_sentence(
            "chromadb",
            "memory search is off (turns are still kept in the conversation ledger)",
            "set [memory] enabled = false, or install chromadb",
        )
        raise MemoryIndexError(sentence) from None
    return chromadb


def chroma_errors() -> tuple[type[Exception], ...]:
    """Chroma's own error class, where chromadb is installed (nothing else raises it)."""
    try:
        from chromadb.errors import ChromaError
    except ImportError:
        return ()
    return (ChromaError,)


def chroma_settings() -> Settings:
    """Client settings: product telemetry off (Tandem sends nothing anywhere)."""
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_collection(client: ClientAPI, name: str) -> Collection:
    """Get or create the cosine collection `name`, with Tandem's embedding function.

    The explicit embedding function keeps Chroma from installing its default one.
    """
    from router.memory.chroma_ef import TandemEmbeddingFunction  # subclasses chromadb's

    return client.get_or_create_collection(
        name,
        configuration=_CONFIGURATION,  # type: ignore[arg-type]
        embedding_function=TandemEmbeddingFunction(),  # type: ignore[arg-type]
    )


class _EmbeddedHandle:
    """One process's client on one on-device folder, shared by every store opened on it."""

    def __init__(self, folder: Path, collection: str) -> None:
        self.folder = folder
        self.collection_name = collection
        self.refs = 0
        self.thread_lock = threading.RLock()
        self.file_lock = ProcessLock(folder / _LOCK_NAME)
        self._depth = 0
        self._client: ClientAPI | None = None
        self._collection: Collection | None = None
        self._seen: str | None = None

    def _generation(self) -> str:
        try:
            return (self.folder / _GENERATION_NAME).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def _reopen(self) -> Collection:
        self.drop_client()
        chromadb = chromadb_module()
        try:
            self._client = chromadb.PersistentClient(path=self.folder, settings=chroma_settings())
            self._collection = open_collection(self._client, self.collection_name)
        except Exception as exc:
            raise MemoryIndexError(
                f"could not open the memory index in {self.folder}: {exc}",
                "run `tandem memory rebuild` to recreate it from the conversation ledger",
            ) from exc
        self._seen = self._generation()
        if not self._seen:
            # A token on disk from the start means a deleted folder always forces a reopen.
            self.bump()
        return self._collection

    def drop_client(self) -> None:
        """Close the Chroma client, so the next operation reloads from disk."""
        if self._client is not None:
            close_client(self._client)
        self._client = None
        self._collection = None

    def collection(self) -> Collection:
        """The collection, reloaded when another process wrote since we last looked."""
        if self._collection is None or self._generation() != self._seen:
            return self._reopen()
        return self._collection

    def bump(self) -> None:
        """Record that this process changed the index, so other processes reload."""
        token = f"{os.getpid()}-{uuid.uuid4().hex}"
        tmp = self.folder / f"{_GENERATION_NAME}.{os.getpid()}.tmp"
        tmp.write_text(token, encoding="utf-8")
        tmp.replace(self.folder / _GENERATION_NAME)
        self._seen = token

    def client(self) -> ClientAPI:
        """The open client (opening it if needed)."""
        self.collection()
        assert self._client is not None
        return self._client

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold this folder's thread and process locks; explain who holds them on timeout."""
        with self.thread_lock:
            if self._depth:
                # Re-entered from the same thread: the process lock is already ours.
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                self.file_lock.acquire(LOCK_TIMEOUT_S)
            except TimeoutError as exc:
                owner = _read_owner(self.folder)
                raise MemoryLockedError(
                    f"the memory index {self.folder} is locked by another process{owner} "
                    f"(lock file {self.folder / _LOCK_NAME}, waited {LOCK_TIMEOUT_S:g} s)",
                    "wait for it to finish (a `tandem memory rebuild` can take minutes), or "
                    "stop that process",
                ) from exc
            self._depth = 1
            try:
                (self.folder / _OWNER_NAME).write_text(str(os.getpid()), encoding="utf-8")
                yield
            finally:
                self._depth = 0
                self.file_lock.release()


def close_client(client: ClientAPI) -> None:
    """Close a Chroma client.

    `Client.close` (chromadb >= 1.1) releases the shared system; `ClientAPI` lacks it.
    """
    close = getattr(client, "close", None)
    if close is not None:
        close()


def _remove_index_files(folder: Path) -> None:
    for entry in folder.iterdir():
        if entry.name in (_LOCK_NAME, _OWNER_NAME):
            continue  # other processes wait on this very file
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _read_owner(folder: Path) -> str:
    try:
        return f" (pid {(folder / _OWNER_NAME).read_text(encoding='utf-8').strip()})"
    except OSError:
        return ""


_handles: dict[tuple[Path, str], _EmbeddedHandle] = {}
_handles_lock = threading.Lock()


class EmbeddedIndex:
    """A collection in an on-device folder, safe to share between threads and processes."""

    where: ClassVar[Literal["device"]] = "device"

    def __init__(self, folder: Path, collection: str) -> None:
        """Attach to `folder` (created on first use); nothing is opened until needed."""
        key = (folder.expanduser().resolve(), collection)
        with _handles_lock:
            handle = _handles.get(key)
            if handle is None:
                handle = _handles[key] = _EmbeddedHandle(key[0], collection)
            handle.refs += 1
        self._handle = handle
        self._closed = False

    def read(self, action: Callable[[Collection], T]) -> T:
        """Run `action` on the collection under the locks."""
        with self._handle.locked(), self._translated():
            return action(self._handle.collection())

    def write(self, action: Callable[[Collection], T]) -> T:
        """Run a changing `action` under the locks and tell other processes to reload."""
        with self._handle.locked(), self._translated():
            try:
                return action(self._handle.collection())
            finally:
                self._handle.bump()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        # Chroma's own errors (damaged files, a full disk) become a TandemError with a way out.
        failures: tuple[type[Exception], ...] = (*chroma_errors(), OSError)
        try:
            yield
        except failures as exc:
            raise MemoryIndexError(
                f"the memory index in {self._handle.folder} failed: {type(exc).__name__}: {exc}",
                "run `tandem memory rebuild` to recreate it from the conversation ledger",
            ) from exc

    def reset(self) -> None:
        """Drop the collection and create it empty; a damaged index is deleted instead."""
        unreadable: tuple[type[Exception], ...] = (MemoryIndexError, *chroma_errors())
        with self._handle.locked():
            try:
                client = self._handle.client()
                client.delete_collection(self._handle.collection_name)
            except unreadable:
                # Unreadable files: the ledger is the source of truth, so start afresh.
                self._handle.drop_client()
                _remove_index_files(self._handle.folder)
            self._handle.drop_client()
            self._handle.bump()

    def close(self) -> None:
        """Release this reference; the last one closes the Chroma client."""
        if self._closed:
            return
        self._closed = True
        handle = self._handle
        with _handles_lock:
            handle.refs -= 1
            if handle.refs > 0:
                return
            _handles.pop((handle.folder, handle.collection_name), None)
        with handle.thread_lock:
            handle.drop_client()
