"""The ledger: every turn persisted in SQLite, the source of truth for history.

A turn is written when it starts (`in_progress`) and finished in one
transaction when it ends, so a crash mid-stream leaves exactly one row that the
next start marks `incomplete`; nothing is lost and nothing is duplicated.
It keeps its tables in the ledger's `Database` (database.py), whose one
connection the sent record, the summaries and the placeholders share.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from router.ledger.database import Database, open_database
from router.ledger.schema import SESSION_TABLES
from router.ledger.sent import SentRecord, delete_session_sent
from router.ledger.wire_log import WireLog
from router.types import (
    Attachment,
    Message,
    RouteDecision,
    Turn,
    TurnStatus,
    Usage,
    new_id,
    utc_now,
)


class SessionInfo(BaseModel):
    """A conversation as listed to the user."""

    id: str = Field(description="Unique session id.")
    title: str = Field(description="Title shown in the conversation list.")
    created_at: datetime = Field(description="When the conversation started.")
    turns: int = Field(description="Number of turns in it.")


INTERRUPTED = "interrupted: Tandem stopped before the answer finished"
"""The error recorded on a turn whose process ended while it was in progress."""


class Ledger:
    """SQLite-backed store of sessions and turns; safe to share between threads."""

    def __init__(self, database: Database | str | Path) -> None:
        """Use `database`, or open the file at that path (this ledger then owns it alone)."""
        self.db = open_database(database)
        """The connection this ledger shares with the other stores of its file."""
        self.path = self.db.path
        self.sent = SentRecord(self.db)
        """The requests each turn sent off the device, as they left it."""
        self.outbound = WireLog(self.db)
        """Every HTTP request any guarded client let off the device (or stopped), at the wire."""
        self._open: set[str] = set()  # turns begun through this object and not finished
        self.recovered = self._mark_interrupted()

    def _mark_interrupted(self) -> int:
        # Rows still in progress at open belong to a process that died mid-turn.
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE turns SET status='incomplete', error=COALESCE(error, ?) "
                "WHERE status='in_progress'",
                (INTERRUPTED,),
            )
            return cur.rowcount

    def interrupt_open_turns(self, *, wait_s: float = 1.0) -> int:
        """Mark the turns begun here and not finished as interrupted; return how many.

        For a process that is exiting before they finish (a stop that ran out of time).
        Opening the ledger marks such rows too, but only when it is next opened; until then
        another process sharing the file would show them as still running. This may run on
        another thread while this one is stuck in a transaction: it waits at most `wait_s`
        for it, and does nothing on a closed ledger.
        """
        lock = self.db.lock
        if not lock.acquire(timeout=wait_s):
            return 0
        try:
            ids = sorted(self._open)
            if not ids:
                return 0
            marks = ", ".join("?" * len(ids))
            try:
                cur = self.db.connection.execute(
                    "UPDATE turns SET status='incomplete', error=COALESCE(error, ?) "
                    f"WHERE status='in_progress' AND id IN ({marks})",
                    (INTERRUPTED, *ids),
                )
            except sqlite3.Error:  # closed, or busy past the timeout: the next open marks them
                return 0
            self._open.clear()
            return cur.rowcount
        finally:
            lock.release()

    def close(self) -> None:
        """Close the database connection (shared: for every store of the file); idempotent."""
        self.db.close()

    def rename_session(self, session_id: str, title: str) -> bool:
        """Give a conversation a new title; False if it does not exist (yet).

        Raises `ValueError` for a title that is empty once whitespace is folded.
        """
        title = " ".join(title.split())
        if not title:
            raise ValueError("a conversation's title cannot be empty")
        with self.db.transaction() as conn:
            cur = conn.execute("UPDATE sessions SET title = ? WHERE id = ?", (title, session_id))
            return cur.rowcount > 0

    def delete_session(self, session_id: str) -> bool:
        """Remove a conversation and all it left: turns, sent requests, placeholders, summary.

        Its rows in the record of outbound requests go too. All in one transaction.
        Placeholders, summaries and that record live in tables other stores keep in
        this file. False if there was no such conversation.
        """
        with self.db.transaction() as conn:
            for table in SESSION_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
            delete_session_sent(conn, session_id)
            conn.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            cur = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            return cur.rowcount > 0

    def create_session(self, title: str = "New conversation") -> str:
        """Start a new conversation and return its id."""
        session_id = new_id()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sessions (id, title, created_at) VALUES (?, ?, ?)",
                (session_id, title, utc_now().isoformat()),
            )
        return session_id

    def ensure_session(self, session_id: str, title: str = "New conversation") -> None:
        """Create the session with this id if it does not exist."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO sessions (id, title, created_at) VALUES (?, ?, ?)",
                (session_id, title, utc_now().isoformat()),
            )

    def sessions(self) -> list[SessionInfo]:
        """List conversations, newest first."""
        rows = self.db.fetchall(
            "SELECT s.id, s.title, s.created_at, COUNT(t.id) FROM sessions s "
            "LEFT JOIN turns t ON t.session_id = s.id GROUP BY s.id "
            "ORDER BY s.created_at DESC, s.rowid DESC"
        )
        return [
            SessionInfo(id=r[0], title=r[1], created_at=datetime.fromisoformat(r[2]), turns=r[3])
            for r in rows
        ]

    def begin_turn(
        self, session_id: str, user_text: str, attachments: tuple[Attachment, ...] = ()
    ) -> Turn:
        """Persist a new in-progress turn at the end of the session and return it."""
        with self.db.transaction() as conn:
            (next_seq,) = conn.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM turns WHERE session_id = ?", (session_id,)
            ).fetchone()
            turn = Turn(
                session_id=session_id, seq=next_seq, user_text=user_text, attachments=attachments
            )
            conn.execute(
                "INSERT INTO turns (id, session_id, seq, created_at, user_text, attachments, "
                "answer, status) VALUES (?, ?, ?, ?, ?, ?, '', 'in_progress')",
                (
                    turn.id,
                    session_id,
                    turn.seq,
                    turn.created_at.isoformat(),
                    user_text,
                    json.dumps([a.model_dump() for a in attachments]),
                ),
            )
            self._open.add(turn.id)
        return turn

    def finish_turn(
        self,
        turn_id: str,
        *,
        status: TurnStatus,
        answer: str,
        route: RouteDecision | None,
        usage: Usage | None,
        error: str | None = None,
    ) -> None:
        """Record how a turn ended, in one transaction."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE turns SET status=?, answer=?, route=?, usage=?, error=? WHERE id=?",
                (
                    status,
                    answer,
                    route.model_dump_json() if route else None,
                    usage.model_dump_json(exclude={"tokens_per_s"}) if usage else None,
                    error,
                    turn_id,
                ),
            )
            self._open.discard(turn_id)

    def turns(self, session_id: str) -> list[Turn]:
        """Return every turn of a session in order, whatever its status."""
        rows = self.db.fetchall(
            "SELECT id, session_id, seq, created_at, user_text, attachments, answer, route, "
            "usage, status, error FROM turns WHERE session_id = ? ORDER BY seq",
            (session_id,),
        )
        return [
            Turn(
                id=r[0],
                session_id=r[1],
                seq=r[2],
                created_at=datetime.fromisoformat(r[3]),
                user_text=r[4],
                attachments=tuple(Attachment(**a) for a in json.loads(r[5])),
                answer=r[6],
                route=RouteDecision.model_validate_json(r[7]) if r[7] else None,
                usage=Usage.model_validate_json(r[8]) if r[8] else None,
                status=r[9],
                error=r[10],
            )
            for r in rows
        ]

    def history(self, session_id: str) -> list[Message]:
        """Return the conversation as messages, from completed turns only."""
        messages: list[Message] = []
        for turn in self.turns(session_id):
            if turn.status != "complete":
                continue
            messages.append(Message(role="user", content=turn.user_text))
            messages.append(Message(role="assistant", content=turn.answer))
        return messages

    # --- read-only queries for routing (spend and measured latency) -------------------

    def spend_usd(self, *, since: datetime | None = None, session_id: str | None = None) -> float:
        """Total `Usage.cost_usd` of turns started at or after `since`, or in one session."""
        # Summed inside SQLite: no row is parsed in Python, so a long ledger stays cheap.
        sql = (
            "SELECT COALESCE(SUM(json_extract(usage, '$.cost_usd')), 0) FROM turns "
            "WHERE usage IS NOT NULL"
        )
        args: list[str] = []
        if since is not None:
            sql += " AND created_at >= ?"
            args.append(since.isoformat())
        if session_id is not None:
            sql += " AND session_id = ?"
            args.append(session_id)
        (total,) = self.db.fetchone(sql, args)
        return float(total)

    def recent_usage(self, limit: int = 50) -> list[tuple[str, Usage]]:
        """(endpoint name, usage) of the latest finished turns, newest first."""
        rows = self.db.fetchall(
            "SELECT route, usage FROM turns WHERE route IS NOT NULL AND usage IS NOT NULL "
            "AND status = 'complete' ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [
            (RouteDecision.model_validate_json(r[0]).endpoint, Usage.model_validate_json(r[1]))
            for r in rows
        ]

    def last_endpoint(self, session_id: str) -> str | None:
        """The endpoint that served the session's latest completed turn, if any."""
        row = self.db.fetchone(
            "SELECT route FROM turns WHERE session_id = ? AND route IS NOT NULL "
            "AND status = 'complete' ORDER BY seq DESC LIMIT 1",
            (session_id,),
        )
        return RouteDecision.model_validate_json(row[0]).endpoint if row else None
