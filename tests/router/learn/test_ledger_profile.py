"""The user's rated answers become a profile (router/learn/profile.py) for a full retrain."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from router.learn.ledger_profile import profile_from_ledger
from router.learn.profile import load_profile, write_profile
from router.ledger.feedback import FeedbackStore
from router.ledger.store import Ledger
from router.types import EndpointKind, FindingAction, RouteDecision, Usage


def _answer(
    ledger: Ledger,
    sid: str,
    text: str,
    endpoint: str,
    kind: EndpointKind,
    *,
    privacy: FindingAction = "allow",
) -> str:
    route = RouteDecision(
        endpoint=endpoint, endpoint_kind=kind, policy="learned", reason="-", privacy_action=privacy
    )
    usage = Usage(latency_s=2.5, cost_usd=0.0 if kind == "local" else 0.004)
    turn = ledger.begin_turn(sid, text)
    ledger.finish_turn(turn.id, status="complete", answer="a", route=route, usage=usage)
    return turn.id


def test_rated_answers_and_pairs_become_profile_records(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    sid = ledger.create_session()
    store = FeedbackStore(ledger.db)
    first = _answer(ledger, sid, "capital of Australia?", "local", "local")
    again = _answer(ledger, sid, "capital of Australia?", "claude", "cloud")
    alone = _answer(ledger, sid, "a haiku please", "local", "local")
    _answer(ledger, sid, "never rated", "local", "local")
    store.rate(first, good=False, embedding=np.ones(4, dtype=np.float32))
    store.record_pair(first, again)
    store.rate(again, good=True)
    store.rate(alone, good=True)

    records = {r.id: r for r in profile_from_ledger(ledger.db)}

    assert set(records) == {first, alone}
    pair = records[first]
    assert pair.prompt == "capital of Australia?"
    assert (pair.conversation, pair.turn) == (sid, 0)
    assert pair.endpoints["local"].quality == 0.0 and pair.endpoints["claude"].quality == 1.0
    assert pair.endpoints["claude"].cost_usd == 0.004 and pair.endpoints["claude"].latency_s == 2.5
    assert pair.meta["source"] == "ledger" and pair.meta["preferred"] == "claude"
    assert pair.meta["turn_ids"] == [first, again]
    assert set(records[alone].endpoints) == {"local"}
    assert records[alone].endpoints["local"].quality == 1.0


def test_the_profile_file_is_valid_and_marks_kept_local_questions(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    sid = ledger.create_session()
    kept = _answer(ledger, sid, "bluebird status?", "local", "local", privacy="keep_local")
    FeedbackStore(ledger.db).rate(kept, good=False)
    out = tmp_path / "mine.jsonl"
    assert write_profile(profile_from_ledger(ledger.db), out) == 1
    [record] = load_profile(out)  # the profile format's own validation
    assert record.meta["kept_local"] is True
    assert record.endpoints["local"].quality == 0.0


def test_an_unrated_ledger_gives_no_records(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    _answer(ledger, ledger.create_session(), "q", "local", "local")
    assert profile_from_ledger(ledger.db) == []
