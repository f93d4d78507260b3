"""Errors the conversation memory raises, each with a hint for what to do next."""

from __future__ import annotations

from router.errors import TandemError


class MemoryStoreError(TandemError):
    """Base class for conversation-memory failures."""


class MemoryLockedError(MemoryStoreError):
    """Another process held the memory's lock for longer than the timeout."""


class MemoryServerError(MemoryStoreError):
    """The configured Chroma server could not be reached or refused a request."""


class MemoryIndexError(MemoryStoreError):
    """The on-device index could not be opened or written (damaged or unreadable files)."""
