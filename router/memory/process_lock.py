"""A cross-process exclusive lock on a file, with a timeout (stdlib only).

`flock` on Unix, `msvcrt.locking` on Windows. The OS drops the lock when the
holding process dies, so a crash never leaves the memory locked for good.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_POLL_S = 0.01


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


class ProcessLock:
    """Exclusive lock on `path` between processes (not re-entrant; not for threads)."""

    def __init__(self, path: Path) -> None:
        """Lock `path` (created on first acquire)."""
        self.path = path
        self._fd: int | None = None

    def acquire(self, timeout_s: float) -> None:
        """Take the lock, waiting at most `timeout_s`; raise `TimeoutError` if it stays taken."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout_s
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise TimeoutError(f"{self.path} is locked")
            time.sleep(_POLL_S)
        self._fd = fd

    def release(self) -> None:
        """Give the lock back."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                _unlock(fd)
            finally:
                os.close(fd)
