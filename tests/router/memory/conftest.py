"""Fixtures for memory tests: one shared embedder, a fresh on-device store, turn factories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from router.memory.embedding import MiniLMEmbedder, shared_embedder
from router.memory.index import EmbeddedIndex
from router.memory.store import MemoryStore
from router.types import FindingAction, RouteDecision, Turn


def make_turn(
    session_id: str,
    seq: int,
    user_text: str,
    answer: str,
    *,
    privacy: FindingAction = "allow",
    status: str = "complete",
) -> Turn:
    """A finished turn as the ledger would hold it."""
    route = RouteDecision(
        endpoint="local" if privacy == "keep_local" else "cloud",
        endpoint_kind="local" if privacy == "keep_local" else "cloud",
        policy="rules",
        reason="test",
        privacy_action=privacy,
        redactions=("EMAIL_ADDRESS",) if privacy == "redact" else (),
    )
    return Turn(
        session_id=session_id,
        seq=seq,
        user_text=user_text,
        answer=answer,
        route=route,
        status=status,  # type: ignore[arg-type]
    )


DISTRACTORS = [
    ("What's the weather like in Lisbon in May?", "Mild and sunny, around 22 degrees."),
    ("Recommend a science fiction novel.", "Try 'The Left Hand of Darkness' by Le Guin."),
    ("How do I reverse a list in Python?", "Use reversed(xs) or xs[::-1]."),
    ("What is the capital of Australia?", "Canberra."),
    ("Give me a warm-up routine before running.", "Leg swings, lunges and a slow jog."),
    ("Explain compound interest.", "Interest earned on both principal and past interest."),
    ("How many legs does a spider have?", "Eight."),
    ("Translate 'good morning' into Spanish.", "Buenos días."),
]


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """The process-wide embedder, loaded once for every memory test."""
    return shared_embedder()


@pytest.fixture
def store(tmp_path: Path, embedder: MiniLMEmbedder) -> Iterator[MemoryStore]:
    """An empty on-device memory in a temporary folder."""
    memory = MemoryStore(EmbeddedIndex(tmp_path / "memory", "turns"), embedder=embedder)
    yield memory
    memory.close()
