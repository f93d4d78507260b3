"""Writing a file only its owner can read, atomically: keys, tokens, a pairing.

A temporary file in the same folder is written, flushed to disk, made 0600 and renamed
over the target, so a reader sees the old file or the new one, never half of either, and
a failed write leaves the old file as it was and no temporary file behind. The API keys file
(router/endpoints/secrets.py), the app's device list and certificate key (app/lan) and the
phone's pairing (app/mobile) share it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE_MODE = 0o600
"""Read and write for the owner only."""


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, in a file only its owner can read.

    The folder is made (0700, owner only) when missing.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file with mode 0600 before anything is written to it.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if os.name == "posix":
            os.chmod(tmp, PRIVATE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
