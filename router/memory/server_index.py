"""The memory's collection on a `chroma run` server, shared by several devices."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit

import httpx

from router.errors import TandemError
from router.memory.errors import MemoryServerError
from router.memory.index import chroma_settings, chromadb_module, close_client, open_collection
from router.memory.wire import RequestGuard, guard_chroma_client

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

T = TypeVar("T")


class ServerIndex:
    """A collection on a `chroma run` server reached over HTTP, behind the egress guard."""

    where: ClassVar[Literal["server"]] = "server"

    def __init__(
        self,
        url: str,
        collection: str,
        *,
        guard: RequestGuard,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Connect to the server at `url` (http://host:port); raise if it cannot be reached.

        Every request passes `guard` (the runtime's egress policy, so values a turn
        in flight protects are blocked here too). `transport` replaces the network
        underneath, for tests.
        """
        self.url = url
        self.guard = guard
        self._name = collection
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if not parts.hostname:
            raise MemoryServerError(
                f"memory.server_url {url!r} is not a URL",
                "set it to http://host:port of a `chroma run` server, or remove it",
            )
        ssl = parts.scheme == "https"
        port = parts.port or (443 if ssl else 8000)
        self._lock = threading.Lock()
        chromadb = chromadb_module()
        self._client = self._guard(
            lambda: chromadb.HttpClient(
                host=parts.hostname or "", port=port, ssl=ssl, settings=chroma_settings()
            )
        )
        try:
            guard_chroma_client(self._client, guard, f"memory server {url}", transport)
        except BaseException:
            close_client(self._client)
            raise
        self._collection = self._guard(lambda: open_collection(self._client, collection))

    def _guard(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except TandemError:  # a blocked request (egress guard) or our own error, as is
            raise
        except Exception as exc:
            raise MemoryServerError(
                f"the memory server {self.url} failed: {type(exc).__name__}: {exc}",
                "check that `chroma run` is running there and reachable, or remove "
                "memory.server_url from the config to keep memory on this device",
            ) from exc

    def read(self, action: Callable[[Collection], T]) -> T:
        """Run `action` on the server's collection."""
        with self._lock:
            return self._guard(lambda: action(self._collection))

    write = read

    @contextmanager
    def protect(self, values: Iterable[str]) -> Iterator[None]:
        """Block every request to the server that carries one of `values` until exit."""
        with self.guard.protect(values):
            yield

    def reset(self) -> None:
        """Drop the collection on the server and create it empty."""
        with self._lock:
            self._guard(lambda: self._client.delete_collection(self._name))
            self._collection = self._guard(lambda: open_collection(self._client, self._name))

    def close(self) -> None:
        """Close the HTTP client."""
        close_client(self._client)
