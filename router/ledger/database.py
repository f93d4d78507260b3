"""The ledger's database: one SQLite connection per file, shared by every store in it.

The turns (`Ledger`), the sent requests (`SentRecord`), the summaries
(`SummaryStore`) and the placeholders (`PseudonymStore`) all keep their tables in
the one file, and all go through one `Database`: one connection, one lock, opened
once (pragmas set, schema brought up to date, see schema.py) and closed once, by
the runtime that owns it. The connection is shared between threads (turns write
from worker threads while the GUI reads), so every statement runs under `lock`.
WAL mode lets another process (a second front end) read while this one writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from router.ledger.schema import BASELINE, MIGRATIONS, SCHEMA_VERSION

MEMORY = ":memory:"
"""The path of a database that lives in memory for the process (tests, a store alone)."""


class Database:
    """One SQLite connection to a ledger file (or memory), its lock and its schema."""

    def __init__(self, path: str | Path = MEMORY) -> None:
        """Open `path` (created with its folder if new) and bring its schema up to date."""
        self.path = Path(path)
        self.in_memory = str(path) == MEMORY
        if not self.in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        """Held for every statement and transaction on `connection`."""
        self.connection = sqlite3.connect(
            MEMORY if self.in_memory else self.path, check_same_thread=False, isolation_level=None
        )
        """The one connection (autocommit; `transaction` groups statements)."""
        self._closed = False
        try:
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA foreign_keys=ON")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except BaseException:
            self.close()  # a file that cannot be brought up to date is not held open
            raise

    def _migrate(self) -> None:
        """Create missing tables, then apply the steps between the file's version and ours."""
        conn = self.connection
        conn.executescript(BASELINE)
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version >= SCHEMA_VERSION:
            return  # current, or written by a newer Tandem: never downgraded
        conn.execute("BEGIN IMMEDIATE")
        try:
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(step, ()):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @property
    def closed(self) -> bool:
        """Whether `close` has run."""
        return self._closed

    def close(self) -> None:
        """Close the connection (waiting for a statement in progress); later calls do nothing."""
        with self.lock:
            if not self._closed:
                self._closed = True
                self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one write transaction, under the lock; rolled back on error."""
        with self.lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one writing statement under the lock (atomic on its own); read rows with fetch*."""
        with self.lock:
            return self.connection.execute(sql, args)

    def fetchall(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """Every row a query returns, read under the lock."""
        with self.lock:
            rows: list[Any] = self.connection.execute(sql, args).fetchall()
        return rows

    def fetchone(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """The first row a query returns (None if none), read under the lock."""
        with self.lock:
            return self.connection.execute(sql, args).fetchone()


def open_database(source: Database | str | Path | None) -> Database:
    """`source` itself if it is a database, else a new one at that path (None: in memory)."""
    if isinstance(source, Database):
        return source
    return Database(source if source is not None else MEMORY)
