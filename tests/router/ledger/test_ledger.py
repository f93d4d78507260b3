import json
import sqlite3
import threading
from pathlib import Path

from router.ledger.feedback import FeedbackStore
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.sent import as_recorded
from router.ledger.store import Ledger
from router.ledger.summaries import SessionSummary, SummaryStore
from router.ledger.wire_log import outbound_session
from router.types import Attachment, Message, RouteDecision, ToolCall, ToolResult, Usage

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


# --- the record of what left the device (router/ledger/sent.py) ----------------------


def _sent_turn(ledger: Ledger, sid: str, *requests: tuple[Message, ...]) -> str:
    turn = ledger.begin_turn(sid, "question")
    for i, messages in enumerate(requests):
        ledger.sent.record(
            turn.id, endpoint="claude", kind="route", tool_round=i, messages=messages
        )
    return turn.id


def test_sent_requests_round_trip_without_attachment_paths(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    sid = ledger.create_session()
    notes = Attachment(
        name="notes.txt", mime_type="text/plain", size_bytes=12, path=str(tmp_path / "notes.txt")
    )
    first = (
        Message(role="system", content="be brief"),
        Message(role="user", content="Mail [EMAIL_1] about élan", attachments=(notes,)),
    )
    call = ToolCall(id="c1", name="notes__read", arguments={"day": "friday"})
    second = (
        *first,
        Message(role="assistant", content="Let me check.", tool_calls=(call,)),
        Message(role="user", content="", tool_results=(ToolResult(call_id="c1", content="ok"),)),
    )
    turn_id = _sent_turn(ledger, sid, first, second)
    ledger.close()

    reopened = Ledger(tmp_path / "l.db")
    stored = reopened.sent.for_turn(turn_id)
    assert [(r.seq, r.endpoint, r.kind, r.tool_round) for r in stored] == [
        (0, "claude", "route", 0),
        (1, "claude", "route", 1),
    ]
    # Exactly the messages, except that an attachment keeps only its name, type and size.
    assert stored[0].messages == as_recorded(first) and stored[1].messages == as_recorded(second)
    assert stored[0].messages[1].attachments == (notes.model_copy(update={"path": None}),)
    assert stored[1].messages[2].tool_calls == (call,)
    assert reopened.sent.for_session(sid) == {turn_id: stored}
    raw = sqlite3.connect(tmp_path / "l.db").execute("SELECT messages FROM sent_requests")
    assert not any(str(tmp_path) in row[0] for row in raw)


def test_a_turn_without_sent_requests_has_an_empty_record(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    sid = ledger.create_session()
    turn = ledger.begin_turn(sid, "stays here")
    assert ledger.sent.for_turn(turn.id) == ()
    assert ledger.sent.for_session(sid) == {}


def test_a_ledger_from_before_the_record_opens_and_gains_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.db")
    sid = ledger.create_session()
    old = ledger.begin_turn(sid, "an old question")
    ledger.close()
    with sqlite3.connect(tmp_path / "l.db") as conn:  # as an older Tandem left it
        conn.execute("DROP TABLE sent_requests")
    reopened = Ledger(tmp_path / "l.db")
    assert [t.id for t in reopened.turns(sid)] == [old.id]
    assert reopened.sent.for_turn(old.id) == ()
    new = _sent_turn(reopened, sid, (Message(role="user", content="hi"),))
    assert [r.messages[0].content for r in reopened.sent.for_turn(new)] == ["hi"]


def test_deleting_a_session_deletes_everything_it_left_in_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    keep, gone = ledger.create_session("keep"), ledger.create_session("gone")
    turns = {
        sid: _sent_turn(ledger, sid, (Message(role="user", content=sid),)) for sid in (keep, gone)
    }
    pseudonyms = PseudonymStore(tmp_path / "ledger.db")
    summaries = SummaryStore(tmp_path / "ledger.db")
    feedback = FeedbackStore(ledger.db)
    for sid in (keep, gone):
        # The user rated the answer and had it answered again on the device.
        ledger.finish_turn(turns[sid], status="complete", answer="a", route=ROUTE, usage=None)
        again = ledger.begin_turn(sid, "question")
        ledger.finish_turn(again.id, status="complete", answer="b", route=ROUTE, usage=None)
        feedback.rate(turns[sid], good=False, embedding=[1.0, 0.0])
        feedback.record_pair(turns[sid], again.id)
        pseudonyms.placeholder(sid, "PERSON", f"Ana {sid}")
        summaries.put(SessionSummary(session_id=sid, covers_up_to_seq=0, text="so far"))
        with outbound_session(sid):  # a request the turn made, at the wire
            body = f"asked in {sid}".encode()
            ledger.outbound.record(
                endpoint="cloud", method="POST", url="https://api.example/v1", size=1, body=body
            )

    assert ledger.delete_session(gone)
    # Every table of the file that holds session data: nothing of `gone` is left anywhere.
    tables = [
        row[0]
        for row in ledger.db.connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    ]
    assert set(tables) == {
        "sessions",
        "turns",
        "sent_requests",
        "outbound_requests",
        "privacy_pseudonyms",
        "context_summaries",
        "answer_ratings",
        "answer_pairs",
    }
    for table in tables:
        rows = ledger.db.connection.execute(f"SELECT * FROM {table}").fetchall()
        dump = json.dumps(rows, default=bytes.hex)  # an embedding is stored as bytes
        assert gone not in dump and turns[gone] not in dump, table
    assert ledger.sent.for_turn(turns[gone]) == ()
    assert [r.messages[0].content for r in ledger.sent.for_turn(turns[keep])] == [keep]
    assert pseudonyms.values(keep) != {} and summaries.get(keep) is not None
    assert [r.body for r in ledger.outbound.recent()] == [f"asked in {keep}"]
    pseudonyms.close()
    summaries.close()


def test_a_stopping_process_marks_only_its_own_open_turns_interrupted(tmp_path: Path) -> None:
    ours, theirs = Ledger(tmp_path / "l.db"), Ledger(tmp_path / "l.db")
    sid = ours.create_session()
    done = ours.begin_turn(sid, "finished")
    ours.finish_turn(done.id, status="complete", answer="yes", route=ROUTE, usage=None)
    ours.begin_turn(sid, "cut off")
    theirs.begin_turn(sid, "another process's, still running")
    assert ours.interrupt_open_turns() == 1
    assert ours.interrupt_open_turns() == 0
    assert [(t.user_text, t.status) for t in theirs.turns(sid)] == [
        ("finished", "complete"),
        ("cut off", "incomplete"),
        ("another process's, still running", "in_progress"),
    ]
    assert "interrupted" in (theirs.turns(sid)[1].error or "")
    ours.close()
    assert ours.interrupt_open_turns() == 0  # closed: nothing to do, no error
    theirs.close()


def test_a_summary_keeps_its_zone_label_and_an_unknown_one_reads_as_strictest(
    tmp_path: Path,
) -> None:
    summaries = SummaryStore(tmp_path / "ledger.db")
    summaries.put(SessionSummary("s", 2, "project Falcon so far", "keep_mine"))
    stored = summaries.get("s")
    assert stored is not None and stored.privacy_action == "keep_mine"
    summaries.db.execute("UPDATE context_summaries SET privacy_action='keep_secret'")
    unknown = summaries.get("s")
    assert unknown is not None and unknown.privacy_action == "keep_local"


def test_a_route_recorded_before_zones_reads_with_the_zone_of_its_kind() -> None:
    old = '{"endpoint": "box", "endpoint_kind": "edge", "policy": "p", "reason": "r"}'
    assert RouteDecision.model_validate_json(old).zone == "cloud"  # not known to be yours
    assert ROUTE.zone == "device"
    fake = RouteDecision.model_validate_json(old.replace('"edge"', '"fake"'))
    assert (fake.endpoint_kind, fake.zone) == ("local", "device")
