"""MemoryStore on this device: search, filters, upsert, privacy labels, no network."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from router.memory.chroma_ef import EF_NAME
from router.memory.embedding import MiniLMEmbedder
from router.memory.index import EmbeddedIndex
from router.memory.store import MemoryStore, indexable
from tests.router.memory.conftest import DISTRACTORS, make_turn


def _fill(store: MemoryStore, session_id: str = "s1") -> None:
    store.add_turns(make_turn(session_id, i, q, a) for i, (q, a) in enumerate(DISTRACTORS, start=1))


def test_search_finds_the_relevant_turn_over_distractors(store: MemoryStore) -> None:
    target = make_turn(
        "s1",
        0,
        "My sourdough starter smells like acetone, is it dead?",
        "No: it is hungry. Feed it twice a day with equal flour and water.",
    )
    store.add_turn(target)
    _fill(store)
    hits = store.search("how often should I feed my bread starter", k=3)
    assert hits[0].turn_id == target.id
    assert hits[0].user_text == target.user_text
    assert hits[0].answer == target.answer
    assert hits[0].session_id == "s1" and hits[0].seq == 0
    assert 0 <= hits[-1].score <= hits[0].score <= 1
    assert hits[0].score > 0.4
    assert len(hits) == 3


def test_session_filter_and_exclusions(store: MemoryStore) -> None:
    _fill(store, "s1")
    other = make_turn("s2", 0, "Which spider is the largest?", "The Goliath birdeater.")
    store.add_turn(other)
    hits = store.search("spiders", session_id="s2", k=5)
    assert [h.turn_id for h in hits] == [other.id]
    s1_hits = store.search("spiders", session_id="s1", k=5)
    assert s1_hits and all(h.session_id == "s1" for h in s1_hits)
    assert all(h.turn_id != other.id for h in store.search("spiders", exclude_turn_ids=[other.id]))
    assert store.search("spiders", k=0) == []


def test_upsert_is_idempotent(store: MemoryStore) -> None:
    turn = make_turn("s1", 0, "What is a monad?", "A monoid in the category of endofunctors.")
    store.add_turn(turn)
    store.add_turn(turn)
    assert store.count() == 1
    store.add_turn(turn.model_copy(update={"answer": "A way to chain computations."}))
    assert store.count() == 1
    assert store.search("monad", k=5)[0].answer == "A way to chain computations."


def test_keep_local_hits_are_labelled(store: MemoryStore) -> None:
    secret = make_turn(
        "s1",
        0,
        "My blood test shows high cholesterol.",
        "Noted; talk to your doctor.",
        privacy="keep_local",
    )
    plain = make_turn("s1", 1, "Cholesterol in eggs?", "About 186 mg per egg.")
    store.add_turns([secret, plain])
    labels = {h.turn_id: h.privacy_action for h in store.search("cholesterol", k=5)}
    assert labels == {secret.id: "keep_local", plain.id: "allow"}
    assert store.count_by() == {"device": 2, "keep_local": 1}


def test_only_finished_turns_with_text_are_indexed(store: MemoryStore) -> None:
    failed = make_turn("s1", 0, "q", "", status="error")
    stopped_empty = make_turn("s1", 1, "q", "", status="cancelled")
    stopped = make_turn("s1", 2, "Tell me about otters.", "Otters hold hands", status="cancelled")
    assert not indexable(failed) and not indexable(stopped_empty) and indexable(stopped)
    assert store.add_turn(failed) is False
    assert store.add_turns([failed, stopped_empty, stopped]) == 1
    assert store.count() == 1


def test_delete_session(store: MemoryStore) -> None:
    _fill(store, "s1")
    store.add_turn(make_turn("s2", 0, "Keep me", "kept"))
    store.delete_session("s1")
    assert store.count() == 1
    assert {h.session_id for h in store.search("anything", k=10)} == {"s2"}


def test_embedded_mode_makes_no_network_call(
    tmp_path: Path, embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        calls.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    with MemoryStore(EmbeddedIndex(tmp_path / "m", "turns"), embedder=embedder) as memory:
        memory.add_turn(make_turn("s", 0, "offline question", "offline answer"))
        assert memory.search("offline", k=1)[0].answer == "offline answer"
    assert calls == []


def test_collection_uses_tandem_embedding_function(store: MemoryStore) -> None:
    store.add_turn(make_turn("s", 0, "q", "a"))
    ef = store._device.read(lambda col: col._embedding_function)
    assert ef is not None and ef.name() == EF_NAME
    # Chroma embeds query texts with it too, and gets the same vectors as Tandem.
    by_text = store._device.read(
        lambda col: col.query(query_texts=["q\n\na"], n_results=1, include=["distances"])
    )
    assert by_text["distances"][0][0] == pytest.approx(0.0, abs=1e-3)
