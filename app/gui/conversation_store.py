"""Renaming and deleting conversations in the ledger's SQLite file.

`Ledger` lists and reads sessions but has no rename or delete yet, so these
run on their own connection to the same WAL database (safe beside the
ledger's). Deleting a conversation removes its turns (the schema cascades),
its placeholders and its summary, which live in tables of the same file.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

# Tables other stores keep per session in the ledger's file; absent ones are skipped.
_SESSION_TABLES = ("privacy_pseudonyms", "context_summaries")


class ConversationStore:
    """Rename and delete sessions of the ledger at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def rename(self, session_id: str, title: str) -> bool:
        """Give a conversation a new title; returns False if it does not exist (yet)."""
        title = " ".join(title.split())
        if not title:
            raise ValueError("a conversation's title cannot be empty")
        with closing(self._connect()) as conn:
            cur = conn.execute("UPDATE sessions SET title = ? WHERE id = ?", (title, session_id))
            return cur.rowcount > 0

    def delete(self, session_id: str) -> bool:
        """Remove a conversation with its turns, placeholders and summary."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                tables = {
                    row[0]
                    for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                for table in _SESSION_TABLES:
                    if table in tables:
                        conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
                conn.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
                cur = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return cur.rowcount > 0
