"""The placeholders each session gave its sensitive values, in the ledger's database.

A value keeps one placeholder for the whole session (`[PERSON_1]`,
`[EMAIL_ADDRESS_2]`, or with a description `[PERSON_1, a colleague]`), after a
restart too; router/privacy/redact.py redacts and restores text with them. Its own
table (`privacy_pseudonyms`, see schema.py).
The runtime hands the store the ledger's `Database`; given a path it opens that
file itself, and with nothing it keeps placeholders in memory for the process.
"""

from __future__ import annotations

import re
from pathlib import Path

from router.ledger.database import Database, open_database


def _type_token(type_: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", type_.upper()).strip("_") or "VALUE"


class PseudonymStore:
    """Placeholders per (session, value); in the ledger's database, or in memory."""

    def __init__(self, database: Database | str | Path | None = None) -> None:
        """Use `database`, or open the file at that path; None keeps placeholders in memory."""
        self.db = open_database(database)

    def close(self) -> None:
        """Close the database connection (shared: for every store of the file); idempotent."""
        self.db.close()

    def placeholder(
        self, session_id: str, type_: str, value: str, alias_of: str = "", description: str = ""
    ) -> str:
        """Return `value`'s placeholder, allocating the next number for its type if new.

        With `alias_of` (a placeholder), `value` is recorded as another spelling of it.
        A new placeholder carries `description` (`[PERSON_1, a colleague]`); a value
        already recorded keeps the placeholder it has, so both stay the same all session.
        """
        token = _type_token(type_)
        with self.db.lock:  # look up, count and insert as one step
            conn = self.db.connection
            row = conn.execute(
                "SELECT placeholder FROM privacy_pseudonyms WHERE session_id=? AND value=?",
                (session_id, value),
            ).fetchone()
            if row:
                return str(row[0])
            if alias_of:
                placeholder, alias = alias_of, 1
            else:
                (count,) = conn.execute(
                    "SELECT COUNT(*) FROM privacy_pseudonyms "
                    "WHERE session_id=? AND type=? AND is_alias=0",
                    (session_id, token),
                ).fetchone()
                described = f", {description}" if description else ""
                placeholder, alias = f"[{token}_{count + 1}{described}]", 0
            conn.execute(
                "INSERT INTO privacy_pseudonyms VALUES (?, ?, ?, ?, ?)",
                (session_id, value, token, placeholder, alias),
            )
            return placeholder

    def values(self, session_id: str) -> dict[str, str]:
        """Every recorded value of the session (aliases included) -> its placeholder."""
        rows = self.db.fetchall(
            "SELECT value, placeholder FROM privacy_pseudonyms WHERE session_id=?",
            (session_id,),
        )
        return {str(v): str(p) for v, p in rows}

    def originals(self, session_id: str) -> dict[str, str]:
        """Placeholder -> the value it first stood for (what a restore puts back)."""
        rows = self.db.fetchall(
            "SELECT placeholder, value FROM privacy_pseudonyms WHERE session_id=? AND is_alias=0",
            (session_id,),
        )
        return {str(p): str(v) for p, v in rows}
