"""Where rolling session summaries live: one row per session, next to the ledger.

Its own table in the ledger's SQLite file (`CREATE TABLE IF NOT EXISTS`, as
`PseudonymStore` does), so the ledger schema is untouched; without a path it
lives in memory for the process.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from router.types import FindingAction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS context_summaries (
    session_id       TEXT PRIMARY KEY,
    covers_up_to_seq INTEGER NOT NULL,
    text             TEXT NOT NULL,
    privacy_action   TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class SessionSummary:
    """A session's rolling summary and what it covers."""

    session_id: str
    covers_up_to_seq: int
    """The newest turn seq the summary has read (-1: none yet)."""
    text: str
    privacy_action: FindingAction = "allow"
    """Strictest label of the turns it summarises and of its own text."""


class SummaryStore:
    """Session summaries in SQLite (the ledger's file, or memory)."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Open (and create the table in) `path`; None keeps summaries in memory."""
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, isolation_level=None
        )
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def get(self, session_id: str) -> SessionSummary | None:
        """The session's summary, or None if none was written yet."""
        with self._lock:
            row = self._conn.execute(
                "SELECT covers_up_to_seq, text, privacy_action FROM context_summaries "
                "WHERE session_id=?",
                (session_id,),
            ).fetchone()
        if row is None:
            return None
        action = str(row[2])
        if action not in ("allow", "redact", "keep_local"):
            action = "keep_local"  # an unknown label is treated as the strictest
        return SessionSummary(session_id, int(row[0]), str(row[1]), cast(FindingAction, action))

    def put(self, summary: SessionSummary) -> None:
        """Store (replace) the session's summary."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO context_summaries VALUES (?, ?, ?, ?)",
                (
                    summary.session_id,
                    summary.covers_up_to_seq,
                    summary.text,
                    summary.privacy_action,
                ),
            )

    def delete(self, session_id: str) -> None:
        """Forget the session's summary (e.g. when the session is deleted)."""
        with self._lock:
            self._conn.execute("DELETE FROM context_summaries WHERE session_id=?", (session_id,))
