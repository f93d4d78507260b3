"""The ledger file's tables, and the steps that bring an older file up to date.

Every table lives in one SQLite file (`ledger.sqlite3`): the turns and sessions,
the requests that left the device (a turn's messages in `sent_requests`, every
HTTP request at the wire in `outbound_requests`), the rolling summaries, the
privacy placeholders, and the user's ratings of answers and re-answer pairs
(`answer_ratings`, `answer_pairs`: router/ledger/feedback.py), which go with
their turns when a conversation is deleted. `BASELINE` is what Tandem has always
created with `CREATE TABLE IF NOT EXISTS`, so it runs on every open: a file from
any earlier Tandem gains the tables it lacks (the ratings and pairs came this
way: new tables need no version step), and a current one is left as it is. A
change a baseline cannot express (a new column, a rebuilt table) goes into
`MIGRATIONS` under the schema version it produces; `PRAGMA user_version` records
the version a file has reached.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
"""The version the current code writes; version 1 is `BASELINE` as first recorded."""

BASELINE = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    user_text TEXT NOT NULL,
    attachments TEXT NOT NULL,
    answer TEXT NOT NULL,
    route TEXT,
    usage TEXT,
    status TEXT NOT NULL,
    error TEXT,
    UNIQUE (session_id, seq)
);
CREATE TABLE IF NOT EXISTS sent_requests (
    turn_id    TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    endpoint   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    tool_round INTEGER NOT NULL,
    sent_at    TEXT NOT NULL,
    messages   TEXT NOT NULL,
    PRIMARY KEY (turn_id, seq)
);
CREATE TABLE IF NOT EXISTS outbound_requests (
    id         INTEGER PRIMARY KEY,
    sent_at    TEXT NOT NULL,
    session_id TEXT,
    endpoint   TEXT NOT NULL,
    method     TEXT NOT NULL,
    host       TEXT NOT NULL,
    path       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    outcome    TEXT NOT NULL,
    status     INTEGER,
    body       TEXT NOT NULL,
    truncated  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbound_requests_session ON outbound_requests (session_id);
CREATE TABLE IF NOT EXISTS context_summaries (
    session_id       TEXT PRIMARY KEY,
    covers_up_to_seq INTEGER NOT NULL,
    text             TEXT NOT NULL,
    privacy_action   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS privacy_pseudonyms (
    session_id  TEXT NOT NULL,
    value       TEXT NOT NULL,
    type        TEXT NOT NULL,
    placeholder TEXT NOT NULL,
    is_alias    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, value)
);
CREATE TABLE IF NOT EXISTS answer_ratings (
    turn_id   TEXT PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
    endpoint  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    good      INTEGER NOT NULL CHECK (good IN (0, 1)),
    rated_at  TEXT NOT NULL,
    embedding BLOB
);
CREATE TABLE IF NOT EXISTS answer_pairs (
    reanswer_id       TEXT PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
    turn_id           TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    endpoint          TEXT NOT NULL,
    reanswer_endpoint TEXT NOT NULL,
    preferred_id      TEXT,
    created_at        TEXT NOT NULL
);
"""
"""Every table, as `CREATE TABLE IF NOT EXISTS`: safe to run on any file, any number of times."""

MIGRATIONS: dict[int, tuple[str, ...]] = {}
"""The statements that take a file from version `n - 1` to `n`, by `n` (none past 1 yet).

They run in one transaction with the version bump, so a file is never left half-migrated.
"""

SESSION_TABLES = ("privacy_pseudonyms", "context_summaries", "outbound_requests")
"""Tables keyed by `session_id` besides `turns`; deleting a session empties its rows in them."""
