"""Ratings and re-answer pairs in the ledger: kept across reopens, never half-written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from router.ledger.feedback import FeedbackError, FeedbackStore
from router.ledger.store import Ledger
from router.types import EndpointKind, RouteDecision, Usage


def _turn(
    ledger: Ledger, sid: str, text: str, endpoint: str = "local", kind: EndpointKind = "local"
) -> str:
    route = RouteDecision(endpoint=endpoint, endpoint_kind=kind, policy="learned", reason="test")
    turn = ledger.begin_turn(sid, text)
    usage = Usage(latency_s=1.5, cost_usd=0.002 if kind != "local" else 0.0)
    ledger.finish_turn(turn.id, status="complete", answer="an answer", route=route, usage=usage)
    return turn.id


def _vector(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_ratings_and_pairs_persist_across_a_reopen(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    sid = ledger.create_session()
    first = _turn(ledger, sid, "capital of Australia?")
    again = _turn(ledger, sid, "capital of Australia?", "claude", "cloud")
    store = FeedbackStore(ledger.db)
    store.rate(first, good=False, embedding=_vector(1.0, 0.0, 0.0))
    store.record_pair(first, again)
    store.rate(again, good=True)  # the same question: its embedding is borrowed
    ledger.close()

    reopened = FeedbackStore(Ledger(tmp_path / "ledger.db").db)
    by_turn = {r.turn_id: r for r in reopened.ratings()}
    assert (by_turn[first].endpoint, by_turn[first].kind, by_turn[first].good) == (
        "local",
        "local",
        False,
    )
    assert (by_turn[again].endpoint, by_turn[again].kind, by_turn[again].good) == (
        "claude",
        "cloud",
        True,
    )
    [pair] = reopened.pairs()
    assert (pair.turn_id, pair.reanswer_id) == (first, again)
    assert (pair.endpoint, pair.reanswer_endpoint) == ("local", "claude")
    assert pair.preferred_id == again  # rated bad, then its re-answer good: that one won
    observations = reopened.observations()
    assert {(o.kind, o.good) for o in observations} == {("local", False), ("cloud", True)}
    assert all(np.allclose(o.embedding, _vector(1.0, 0.0, 0.0)) for o in observations)


def test_rating_again_replaces_the_rating_and_clearing_removes_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    turn = _turn(ledger, ledger.create_session(), "hello")
    store = FeedbackStore(ledger.db)
    before = store.revision()
    store.rate(turn, good=True)
    rated = store.revision()
    store.rate(turn, good=False)
    assert [r.good for r in store.ratings()] == [False]
    assert len({before, rated, store.revision()}) == 3  # every change is seen by a cache
    assert store.clear_rating(turn) and store.ratings() == []
    assert not store.clear_rating(turn)


def test_bad_input_raises_and_writes_nothing(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    sid = ledger.create_session()
    kept = _turn(ledger, sid, "first")
    store = FeedbackStore(ledger.db)
    store.rate(kept, good=True, embedding=_vector(0.0, 1.0))
    unrouted = ledger.begin_turn(sid, "never answered")
    with pytest.raises(FeedbackError, match="no such turn"):
        store.rate("not-a-turn", good=False)
    with pytest.raises(FeedbackError, match="no answer"):
        store.rate(unrouted.id, good=False)
    with pytest.raises(FeedbackError, match="embedding"):
        store.rate(kept, good=False, embedding=np.array([np.nan, 1.0], dtype=np.float32))
    with pytest.raises(FeedbackError, match="no such turn"):
        store.record_pair(kept, "not-a-turn")
    with pytest.raises(FeedbackError, match="itself"):
        store.record_pair(kept, kept)
    other = _turn(ledger, sid, "second", "claude", "cloud")
    with pytest.raises(FeedbackError, match="not in a pair"):
        store.prefer(other)
    # What was there before every refused call is still there, unchanged.
    [rating] = store.ratings()
    assert (rating.turn_id, rating.good) == (kept, True)
    assert store.pairs() == []


def test_preferring_rates_both_answers_unless_the_user_already_did(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    sid = ledger.create_session()
    first = _turn(ledger, sid, "q")
    again = _turn(ledger, sid, "q", "claude", "cloud")
    store = FeedbackStore(ledger.db)
    store.record_pair(first, again)
    store.rate(again, good=False)  # the user's own rating stands
    pair = store.prefer(first, embedding=_vector(1.0, 1.0))
    assert pair.preferred_id == first
    assert {r.turn_id: r.good for r in store.ratings()} == {first: True, again: False}


def test_deleting_a_conversation_deletes_its_ratings_and_pairs(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    keep, gone = ledger.create_session(), ledger.create_session()
    store = FeedbackStore(ledger.db)
    for sid in (keep, gone):
        first, again = _turn(ledger, sid, "q"), _turn(ledger, sid, "q", "claude", "cloud")
        store.rate(first, good=False)
        store.record_pair(first, again)
    assert ledger.delete_session(gone)
    assert len(store.ratings()) == 1 and len(store.pairs()) == 1


def test_summary_counts_ratings_per_tier_and_routes_the_ratings_changed(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    sid = ledger.create_session()
    store = FeedbackStore(ledger.db)
    for good in (True, False, False):
        store.rate(_turn(ledger, sid, "q"), good=good)
    store.rate(_turn(ledger, sid, "q", "claude", "cloud"), good=True)
    changed = RouteDecision(
        endpoint="claude",
        endpoint_kind="cloud",
        policy="learned",
        reason="chat turn; your ratings: cloud better on similar prompts (2)",
    )
    turn = ledger.begin_turn(sid, "q")
    ledger.finish_turn(turn.id, status="complete", answer="a", route=changed, usage=None)
    summary = store.summary()
    assert {(t.kind, t.good, t.bad) for t in summary.tiers} == {("local", 1, 2), ("cloud", 1, 0)}
    assert summary.ratings == 4 and summary.pairs == 0
    assert summary.routes_changed == 1
