"""The record of outbound requests: one row per request the guarded transports let out or stop."""

from __future__ import annotations

from pathlib import Path

from router.ledger.database import Database
from router.ledger.wire_log import BODY_CAP_BYTES, WireLog, outbound_session


def _log(**kwargs: int) -> WireLog:
    return WireLog(Database(), **kwargs)


def test_a_request_is_kept_with_its_label_host_path_size_and_body() -> None:
    log = _log()
    body = b'{"messages": [{"role": "user", "content": "hello [PERSON_1]"}]}'
    row = log.record(
        endpoint="claude",
        method="POST",
        url="https://user:pw@api.example:8443/v1/messages?key=sk-secret",
        size=len(body),
        body=body,
    )
    log.settle(row, status=200)
    (entry,) = log.recent()
    assert entry.endpoint == "claude" and entry.method == "POST"
    assert entry.host == "api.example:8443" and entry.path == "/v1/messages"
    assert entry.size_bytes == len(body) and entry.body == body.decode()
    assert entry.outcome == "sent" and entry.status == 200 and not entry.body_truncated
    # Credentials in the URL (user info, a key in the query) are not kept.
    assert "sk-secret" not in repr(entry) and "pw" not in entry.host


def test_a_blocked_attempt_is_marked_and_keeps_no_body() -> None:
    log = _log()
    log.record(
        endpoint="cloud",
        method="POST",
        url="https://api.example/v1",
        size=123,
        body=None,
        outcome="blocked",
    )
    (entry,) = log.recent()
    assert entry.outcome == "blocked" and entry.body == "" and entry.size_bytes == 123
    assert entry.status is None


def test_a_request_the_network_failed_is_marked_failed() -> None:
    log = _log()
    row = log.record(endpoint="cloud", method="GET", url="http://h/x", size=0, body=b"")
    log.settle(row, failed=True)
    assert log.recent()[0].outcome == "failed"


def test_a_long_body_is_kept_up_to_the_cap_and_marked_truncated() -> None:
    log = _log()
    body = "é".encode() * BODY_CAP_BYTES  # two bytes a character: the cap splits one
    log.record(endpoint="cloud", method="POST", url="http://h/x", size=len(body), body=body)
    (entry,) = log.recent()
    assert entry.body_truncated and entry.size_bytes == 2 * BODY_CAP_BYTES
    assert len(entry.body.encode()) <= BODY_CAP_BYTES and set(entry.body) == {"é"}


def test_recent_is_newest_first_and_only_the_latest_rows_are_kept() -> None:
    log = _log(max_rows=3)
    for n in range(5):
        log.record(endpoint=f"e{n}", method="GET", url="http://h/", size=0, body=b"")
    assert [e.endpoint for e in log.recent()] == ["e4", "e3", "e2"]
    assert [e.endpoint for e in log.recent(limit=2)] == ["e4", "e3"]


def test_a_ledger_file_from_before_the_record_gains_its_table(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    db = Database(path)
    db.execute("DROP TABLE outbound_requests")
    db.close()
    reopened = Database(path)
    WireLog(reopened).record(endpoint="e", method="GET", url="http://h/", size=0, body=b"")
    assert len(WireLog(reopened).recent()) == 1


def test_requests_made_for_a_conversation_carry_its_id() -> None:
    log = _log()

    def send(label: str) -> None:
        log.record(endpoint=label, method="GET", url="http://h/", size=0, body=b"")

    send("before")
    with outbound_session("s1"):
        send("in s1")
        with outbound_session("s2"):
            send("in s2")
        send("back in s1")
    send("after")
    assert [(e.endpoint, e.session_id) for e in reversed(log.recent())] == [
        ("before", None),
        ("in s1", "s1"),
        ("in s2", "s2"),
        ("back in s1", "s1"),
        ("after", None),
    ]
