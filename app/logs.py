"""Where log records go while a `tandem` command runs: Tandem's own to the terminal, the rest
to a log file in the data folder.

Libraries log a lot that means nothing to a user: Presidio warns once for every recognizer of a
language Tandem does not load (over a hundred wrapped lines on the first chat). So records from
Tandem's own loggers (`router.*`, `app.*`, `mcp_servers.*`) at WARNING and above are shown on
stderr, as their bare message, just as before; records from every other logger, and Python
`warnings`, go to `<data dir>/logs/tandem.log` (rotating) and not to the terminal. `--verbose`
shows them on stderr as well, and INFO records too. Tandem's progress bars and route lines are
printed, not logged, and are never affected.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from router import TandemPaths, resolve_paths

OWN_LOGGERS = ("router", "app", "mcp_servers")
"""Top-level names of Tandem's own loggers; every other logger belongs to a library."""
LOG_MAX_BYTES = 2_000_000
LOG_BACKUPS = 3
"""The log file is rotated at `LOG_MAX_BYTES`, keeping this many older files beside it."""
_QUIET_ENV = {"TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}
"""Libraries that print through handlers of their own, which routing at the root cannot reach.

transformers (imported by Presidio) adds its own stderr handler at import and announces that
PyTorch is missing, which Tandem never uses; its documented switch turns that advice off.
"""
_FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_file(paths: TandemPaths | None = None) -> Path:
    """The log file: `<data dir>/logs/tandem.log` (`paths` defaults to `resolve_paths()`)."""
    return (paths or resolve_paths()).data_dir / "logs" / "tandem.log"


def is_own(logger_name: str) -> bool:
    """True for a record of one of Tandem's own loggers (see `OWN_LOGGERS`)."""
    return logger_name.split(".", 1)[0] in OWN_LOGGERS


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a record comes (tests swap it), as
    `logging.lastResort` does."""

    def __init__(self, *, libraries: bool) -> None:
        super().__init__()
        self._libraries = libraries
        self.setFormatter(_TerminalFormatter())

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass  # always sys.stderr, looked up per record

    def filter(self, record: logging.LogRecord) -> bool:
        return (self._libraries or is_own(record.name)) and bool(super().filter(record))


class _TerminalFormatter(logging.Formatter):
    """Tandem's own lines as their bare message (as before); a library's with its name."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if is_own(record.name) else f"{record.levelname} {record.name}: {text}"


@contextmanager
def routed_logs(
    *, verbose: bool = False, paths: TandemPaths | None = None
) -> Iterator[Path | None]:
    """Route log records as the module docstring says while the block runs; yield the log file.

    Everything is put back afterwards (handlers, the root level, warnings capture, the
    environment), so the block can run in a test's process. When the data folder cannot be
    written, there is no file (None is yielded) and the libraries' records are shown instead of
    lost.
    """
    root = logging.getLogger()
    saved_level, saved_env = root.level, {name: os.environ.get(name) for name in _QUIET_ENV}
    file_handler = _file_handler(log_file(paths))
    handlers: list[logging.Handler] = [_Stderr(libraries=verbose or file_handler is None)]
    if file_handler is not None:
        handlers.append(file_handler)
    for handler in handlers:
        # Added before any library configures logging: `logging.basicConfig` (the MCP SDK
        # calls it with a Rich handler) then leaves the root alone.
        root.addHandler(handler)
    if verbose and root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    if not verbose:
        for name, value in _QUIET_ENV.items():
            os.environ.setdefault(name, value)
    logging.captureWarnings(True)
    try:
        yield Path(file_handler.baseFilename) if file_handler is not None else None
    finally:
        logging.captureWarnings(False)
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(saved_level)
        for name, saved in saved_env.items():
            if saved is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = saved


def _file_handler(path: Path) -> logging.handlers.RotatingFileHandler | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    return handler
