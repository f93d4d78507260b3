"""The ledger is the source of truth: a deleted index is rebuilt with the same answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from router.ledger.store import Ledger
from router.memory.embedding import MiniLMEmbedder
from router.memory.errors import MemoryIndexError
from router.memory.index import EmbeddedIndex
from router.memory.store import MemoryStore
from router.types import RouteDecision
from tests.router.memory.conftest import DISTRACTORS

QUERIES = ["spider legs", "money grows over time", "python list order", "running warm up"]


def _ledger_with_turns(path: Path) -> Ledger:
    ledger = Ledger(path)
    for n, chunk in enumerate((DISTRACTORS[:4], DISTRACTORS[4:])):
        session = ledger.create_session(f"chat {n}")
        for question, answer in chunk:
            turn = ledger.begin_turn(session, question)
            route = RouteDecision(endpoint="cloud", endpoint_kind="cloud", policy="p", reason="r")
            ledger.finish_turn(turn.id, status="complete", answer=answer, route=route, usage=None)
        failed = ledger.begin_turn(session, "this one failed")
        ledger.finish_turn(failed.id, status="error", answer="", route=None, usage=None)
    return ledger


def _results(memory: MemoryStore) -> list[list[tuple[str, float]]]:
    return [[(h.turn_id, round(h.score, 4)) for h in memory.search(q, k=3)] for q in QUERIES]


def test_rebuild_after_deleting_the_index_gives_the_same_results(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    ledger = _ledger_with_turns(tmp_path / "ledger.sqlite3")
    folder = tmp_path / "memory"
    progress: list[tuple[int, int]] = []
    memory = MemoryStore(EmbeddedIndex(folder, "turns"), embedder=embedder)
    assert memory.rebuild(ledger, lambda d, t: progress.append((d, t))) == 8
    before = _results(memory)
    memory.close()
    assert progress[0] == (0, 8) and progress[-1] == (8, 8)

    shutil.rmtree(folder)
    memory = MemoryStore(EmbeddedIndex(folder, "turns"), embedder=embedder)
    assert memory.count() == 0
    assert memory.rebuild(ledger) == 8
    assert memory.count() == 8
    assert _results(memory) == before
    # Rebuilding again over a populated index replaces it, never duplicates.
    assert memory.rebuild(ledger) == 8 and memory.count() == 8
    memory.close()
    ledger.close()


def test_rebuild_recovers_a_damaged_index(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    ledger = _ledger_with_turns(tmp_path / "ledger.sqlite3")
    folder = tmp_path / "memory"
    folder.mkdir()
    (folder / "chroma.sqlite3").write_bytes(b"not a database" * 1000)
    memory = MemoryStore(EmbeddedIndex(folder, "turns"), embedder=embedder)
    with pytest.raises(MemoryIndexError) as caught:
        memory.count()
    assert "tandem memory rebuild" in caught.value.hint
    assert memory.rebuild(ledger) == 8
    assert memory.search("spider legs", k=1)[0].user_text == "How many legs does a spider have?"
    memory.close()
    ledger.close()
