import threading
from pathlib import Path

from router.ledger import Ledger
from router.types import Attachment, RouteDecision, Usage

ROUTE = RouteDecision(endpoint="local", endpoint_kind="local", policy="local", reason="test")


def test_turn_round_trips_with_route_and_usage(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    sid = ledger.create_session("hello")
    att = Attachment(name="a.txt", mime_type="text/plain", size_bytes=3)
    turn = ledger.begin_turn(sid, "question", (att,))
    usage = Usage(input_tokens=5, output_tokens=2, ttft_s=0.1, latency_s=0.3)
    ledger.finish_turn(turn.id, status="complete", answer="answer", route=ROUTE, usage=usage)
    [stored] = Ledger(tmp_path / "l.db").turns(sid)
    assert stored.id == turn.id
    assert (stored.user_text, stored.answer, stored.status) == ("question", "answer", "complete")
    assert stored.route == ROUTE
    assert stored.usage == usage
    assert stored.attachments == (att,)


def test_history_holds_only_completed_turns_in_order(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    sid = ledger.create_session()
    for i, status in enumerate(["complete", "cancelled", "error", "complete"]):
        turn = ledger.begin_turn(sid, f"q{i}")
        ledger.finish_turn(turn.id, status=status, answer=f"a{i}", route=ROUTE, usage=None)  # type: ignore[arg-type]
    assert [m.content for m in ledger.history(sid)] == ["q0", "a0", "q3", "a3"]
    assert [t.seq for t in ledger.turns(sid)] == [0, 1, 2, 3]


def test_reopening_marks_interrupted_turns_incomplete(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    sid = ledger.create_session()
    done = ledger.begin_turn(sid, "finished")
    ledger.finish_turn(done.id, status="complete", answer="yes", route=ROUTE, usage=None)
    ledger.begin_turn(sid, "interrupted")
    ledger.close()
    reopened = Ledger(tmp_path / "l.db")
    assert reopened.recovered == 1
    statuses = [t.status for t in reopened.turns(sid)]
    assert statuses == ["complete", "incomplete"]
    assert "interrupted" in (reopened.turns(sid)[1].error or "")
    assert Ledger(tmp_path / "l.db").recovered == 0


def test_sessions_are_listed_newest_first_with_turn_counts(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    first = ledger.create_session("first")
    second = ledger.create_session("second")
    ledger.begin_turn(first, "q")
    listed = ledger.sessions()
    assert [s.id for s in listed] == [second, first]
    assert [s.turns for s in listed] == [0, 1]


def test_concurrent_writers_never_share_a_sequence_number(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    sid = ledger.create_session()

    def write() -> None:
        for _ in range(25):
            ledger.begin_turn(sid, "q")

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(t.seq for t in ledger.turns(sid)) == list(range(100))


def test_wal_mode_is_on(tmp_path: Path) -> None:
    Ledger(tmp_path / "l.db")
    assert (tmp_path / "l.db-wal").exists() or (tmp_path / "l.db").exists()
    import sqlite3

    mode = sqlite3.connect(tmp_path / "l.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_rename_and_delete_a_session(tmp_path: Path) -> None:
    import pytest

    from router.privacy.redact import PseudonymStore

    ledger = Ledger(tmp_path / "ledger.db")
    keep, gone = ledger.create_session("keep"), ledger.create_session("trip")
    for sid in (keep, gone):
        ledger.begin_turn(sid, "a question")
    pseudonyms = PseudonymStore(tmp_path / "ledger.db")  # its table lives in the same file
    pseudonyms.placeholder(gone, "PERSON", "Ana Silva")
    pseudonyms.placeholder(keep, "PERSON", "Rui Costa")
    assert ledger.rename_session(gone, "  Lisbon   trip ")
    assert {s.title for s in ledger.sessions()} == {"keep", "Lisbon trip"}
    with pytest.raises(ValueError):
        ledger.rename_session(gone, "   ")
    assert not ledger.rename_session("no-such-session", "x")
    assert ledger.delete_session(gone)
    assert [s.id for s in ledger.sessions()] == [keep]
    assert ledger.turns(gone) == [] and len(ledger.turns(keep)) == 1
    assert not ledger.delete_session(gone)  # already gone
    assert pseudonyms.values(gone) == {} and pseudonyms.values(keep) != {}
    pseudonyms.close()
