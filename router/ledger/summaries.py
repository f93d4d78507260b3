"""Where rolling session summaries live: one row per session, in the ledger's database.

Its own table (`context_summaries`, see schema.py). The runtime hands the store
the ledger's `Database`; given a path it opens that file itself, and with
nothing it keeps summaries in memory for the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast, get_args

from router.ledger.database import Database, open_database
from router.types import FindingAction


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
    """Session summaries in the ledger's database (its file, or memory)."""

    def __init__(self, database: Database | str | Path | None = None) -> None:
        """Use `database`, or open the file at that path; None keeps summaries in memory."""
        self.db = open_database(database)

    def close(self) -> None:
        """Close the database connection (shared: for every store of the file); idempotent."""
        self.db.close()

    def get(self, session_id: str) -> SessionSummary | None:
        """The session's summary, or None if none was written yet."""
        row = self.db.fetchone(
            "SELECT covers_up_to_seq, text, privacy_action FROM context_summaries "
            "WHERE session_id=?",
            (session_id,),
        )
        if row is None:
            return None
        action = str(row[2])
        if action not in get_args(FindingAction):
            action = "keep_local"  # an unknown label is treated as the strictest
        return SessionSummary(session_id, int(row[0]), str(row[1]), cast(FindingAction, action))

    def put(self, summary: SessionSummary) -> None:
        """Store (replace) the session's summary."""
        self.db.execute(
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
        self.db.execute("DELETE FROM context_summaries WHERE session_id=?", (session_id,))
