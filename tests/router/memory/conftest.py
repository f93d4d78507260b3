"""Fixtures for memory tests: one shared embedder, a fresh on-device store, turn factories,
a real `chroma run` server."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.gui.main import free_port
from router.memory.embedding import MiniLMEmbedder, shared_embedder
from router.memory.index import EmbeddedIndex
from router.memory.store import MemoryStore
from router.types import FindingAction, RouteDecision, Turn
from tests.support.missing import missing

CHROMA = Path(sys.executable).parent / "chroma"


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


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port; yields its URL."""
    if not CHROMA.exists():
        missing(f"the `chroma` command is not installed next to {sys.executable}")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "chroma run exited"
            assert time.monotonic() < deadline, "chroma run did not start in 30 s"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
