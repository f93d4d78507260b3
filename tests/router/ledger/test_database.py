"""One database per ledger file: every store shares its connection, the runtime closes it once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from router.endpoints.fake import FakeEndpoint
from router.errors import ConfigError
from router.ledger import database as database_module
from router.ledger.database import Database
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.schema import SCHEMA_VERSION
from router.ledger.store import Ledger
from router.ledger.summaries import SessionSummary, SummaryStore
from router.paths import TandemPaths
from router.policy.routing_rule import RoutingRule
from router.policy.settings import RoutingSettings
from router.runtime.compose import build_runtime
from router.settings.config import load_settings
from router.types import Message

# The ledger file as Tandem wrote it before the database was one object (no user_version).
_OLD_FILE = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE turns (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, created_at TEXT NOT NULL, user_text TEXT NOT NULL,
    attachments TEXT NOT NULL, answer TEXT NOT NULL, route TEXT, usage TEXT,
    status TEXT NOT NULL, error TEXT, UNIQUE (session_id, seq)
);
CREATE TABLE privacy_pseudonyms (
    session_id TEXT NOT NULL, value TEXT NOT NULL, type TEXT NOT NULL,
    placeholder TEXT NOT NULL, is_alias INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, value)
);
INSERT INTO sessions VALUES ('s', 'old one', '2024-01-01T00:00:00+00:00');
INSERT INTO turns VALUES ('t', 's', 0, '2024-01-01T00:00:00+00:00', 'q', '[]', 'a',
                          NULL, NULL, 'in_progress', NULL);
INSERT INTO privacy_pseudonyms VALUES ('s', 'Ana Silva', 'PERSON', '[PERSON_1]', 0);
"""


def _endpoints() -> dict[str, FakeEndpoint]:
    return {"local": FakeEndpoint(name="local", kind="local")}


def _closes(monkeypatch: pytest.MonkeyPatch) -> list[Database]:
    """Record every `Database.close` that actually closed a connection."""
    closed: list[Database] = []
    real = Database.close

    def close(self: Database) -> None:
        if not self.closed:
            closed.append(self)
        real(self)

    monkeypatch.setattr(Database, "close", close)
    return closed


def test_every_store_of_the_runtime_shares_one_connection(tandem_home: TandemPaths) -> None:
    runtime = build_runtime(tandem_home, endpoints=_endpoints())
    try:
        pipeline = runtime.pipeline
        assert pipeline.context is not None
        db = runtime.database
        assert runtime.ledger.db is db and runtime.ledger.sent._db is db
        assert pipeline.pseudonyms.db is db and pipeline.context.summaries.db is db
        assert db.path == tandem_home.ledger_file
        # What one store writes, the others see on the same connection.
        sid = runtime.ledger.create_session("trip")
        pipeline.pseudonyms.placeholder(sid, "PERSON", "Ana Silva")
        pipeline.context.summaries.put(SessionSummary(sid, 0, "so far"))
        assert runtime.ledger.delete_session(sid)
        assert pipeline.pseudonyms.values(sid) == {} and pipeline.context.summaries.get(sid) is None
    finally:
        runtime.ledger.close()


async def test_closing_the_runtime_closes_its_database_once_and_releases_the_file(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = _closes(monkeypatch)
    runtime = build_runtime(tandem_home, endpoints=_endpoints())
    sid = runtime.ledger.create_session("kept")
    runtime.pipeline.pseudonyms.placeholder(sid, "PERSON", "Ana Silva")
    await runtime.aclose()
    assert closed == [runtime.database] and runtime.database.closed
    for store in (runtime.ledger.sessions, lambda: runtime.pipeline.pseudonyms.values(sid)):
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            store()
    runtime.ledger.close()  # a second close does nothing
    assert len(closed) == 1
    # A second runtime opens the file cleanly and finds what the first one wrote.
    again = build_runtime(tandem_home, endpoints=_endpoints())
    assert [s.title for s in again.ledger.sessions()] == ["kept"]
    assert again.pipeline.pseudonyms.values(sid) == {"Ana Silva": "[PERSON_1]"}
    await again.aclose()
    for suffix in ("", "-wal", "-shm"):  # nothing holds the file any more
        Path(f"{tandem_home.ledger_file}{suffix}").unlink(missing_ok=True)
    assert not tandem_home.ledger_file.exists()


def test_a_runtime_that_fails_to_build_closes_its_database(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = _closes(monkeypatch)
    routing = RoutingSettings(policy="rules", rules=[RoutingRule(task=("code",), action="gpt")])
    settings = load_settings(tandem_home).model_copy(update={"routing": routing})
    with pytest.raises(ConfigError):
        build_runtime(tandem_home, settings, endpoints=_endpoints())
    assert [db.path for db in closed] == [tandem_home.ledger_file]


def test_a_file_from_the_previous_code_opens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_FILE)
    conn.close()
    db = Database(path)
    ledger = Ledger(db)
    assert ledger.recovered == 1  # the old process's turn in progress is marked, as before
    [turn] = ledger.turns("s")
    assert (turn.user_text, turn.answer, turn.status) == ("q", "a", "incomplete")
    assert PseudonymStore(db).values("s") == {"Ana Silva": "[PERSON_1]"}
    SummaryStore(db).put(SessionSummary("s", 0, "gained"))  # tables it lacked are created
    ledger.sent.record("t", endpoint="e", kind="route", tool_round=0, messages=[])
    assert db.fetchone("PRAGMA user_version") == (SCHEMA_VERSION,)
    db.close()
    assert SummaryStore(path).get("s") == SessionSummary("s", 0, "gained")


def test_migrations_run_once_in_order_and_a_failed_one_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.sqlite3"
    Database(path).close()  # version 1, as the current code writes it
    monkeypatch.setattr(database_module, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(
        database_module,
        "MIGRATIONS",
        {
            2: ("ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",),
            3: ("ALTER TABLE sessions ADD COLUMN pinned INTEGER",),
        },
    )
    with pytest.raises(sqlite3.OperationalError):  # step 3 repeats a column
        Database(path)
    with sqlite3.connect(path) as raw:  # the file as the failed open left it
        assert raw.execute("PRAGMA user_version").fetchone() == (1,)
        columns = [row[1] for row in raw.execute("PRAGMA table_info(sessions)")]
        assert "pinned" not in columns  # step 2 was rolled back with step 3
    raw.close()
    monkeypatch.setitem(
        database_module.MIGRATIONS, 3, ("CREATE INDEX by_title ON sessions(title)",)
    )
    migrated = Database(path)
    assert migrated.fetchone("PRAGMA user_version") == (3,)
    assert "pinned" in [row[1] for row in migrated.fetchall("PRAGMA table_info(sessions)")]
    migrated.close()
    Database(path).close()  # already at version 3: no step runs twice


def test_a_file_from_a_newer_tandem_is_not_downgraded(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    db = Database(path)
    assert db.fetchone("PRAGMA user_version") == (SCHEMA_VERSION + 5,)
    db.close()


def test_stores_without_a_file_each_keep_their_own_memory() -> None:
    first, second = PseudonymStore(), PseudonymStore()
    assert first.db is not second.db and first.db.in_memory
    first.placeholder("s", "PERSON", "Ana")
    assert second.values("s") == {} and SummaryStore().get("s") is None
    shared = Database()
    summaries, pseudonyms = SummaryStore(shared), PseudonymStore(shared)
    summaries.put(SessionSummary("s", 1, "text"))
    pseudonyms.placeholder("s", "PERSON", "Ana")
    assert Ledger(shared).delete_session("s") is False  # no session row; its data still goes
    assert summaries.get("s") is None and pseudonyms.values("s") == {}


def test_threads_share_the_connection_safely(tmp_path: Path) -> None:
    db = Database(tmp_path / "ledger.sqlite3")
    ledger, pseudonyms = Ledger(db), PseudonymStore(db)
    sid = ledger.create_session()

    def turns() -> None:
        for i in range(20):
            turn = ledger.begin_turn(sid, f"q{i}")
            ledger.sent.record(
                turn.id,
                endpoint="e",
                kind="route",
                tool_round=0,
                messages=[Message(role="user", content="hi")],
            )

    def placeholders(worker: int) -> None:
        for i in range(20):
            pseudonyms.placeholder(sid, "PERSON", f"name {worker}-{i}")

    threads = [threading.Thread(target=turns) for _ in range(2)]
    threads += [threading.Thread(target=placeholders, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(t.seq for t in ledger.turns(sid)) == list(range(40))
    assert len(ledger.sent.for_session(sid)) == 40
    numbers = sorted(int(p.strip("[]").split("_")[1]) for p in pseudonyms.values(sid).values())
    assert numbers == list(range(1, 41))
    db.close()
