"""Two real processes sharing one on-device memory: no hang, no lost turn, clear lock errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from router.memory import index as index_module
from router.memory.embedding import MiniLMEmbedder
from router.memory.errors import MemoryLockedError
from router.memory.index import EmbeddedIndex
from router.memory.store import MemoryStore
from tests.router.memory.memory_worker import turn_text

ROOT = Path(__file__).resolve().parents[3]
COUNT = 10


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_write_and_search_the_same_memory(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    folder = tmp_path / "memory"
    module = "tests.router.memory.memory_worker"
    workers = {
        name: _spawn("-m", module, str(folder), name, str(COUNT), other)
        for name, other in (("a", "b"), ("b", "a"))
    }
    # Both start together, on a folder neither has created yet (Chroma's migration race).
    (tmp_path / "go").touch()
    for name, proc in workers.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"worker {name} failed:\n{err}"
        assert json.loads(out.strip().splitlines()[-1]) == {"misses_own": 0, "misses_other": 0}

    with MemoryStore(EmbeddedIndex(folder, "turns"), embedder=embedder) as memory:
        assert memory.count() == 2 * COUNT
        for name in "ab":
            for i in range(COUNT):
                hits = memory.search(turn_text(name, i)[0], session_id=f"session-{name}", k=1)
                assert hits[0].seq == i, (name, i)


def test_a_held_lock_fails_with_the_holder_named(
    tmp_path: Path, embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "memory"
    holder = _spawn(
        "-c",
        textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from router.memory.index import EmbeddedIndex
            index = EmbeddedIndex(Path({str(folder)!r}), "turns")
            with index._handle.locked():
                print("holding", flush=True)
                sys.stdin.readline()
        """),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setattr(index_module, "LOCK_TIMEOUT_S", 0.3)
        memory = MemoryStore(EmbeddedIndex(folder, "turns"), embedder=embedder)
        with pytest.raises(MemoryLockedError) as caught:
            memory.count()
        assert f"pid {holder.pid}" in caught.value.message
        assert "tandem-memory.lock" in caught.value.message
        assert caught.value.hint
    finally:
        holder.kill()
        holder.wait()
    # Once the holder is gone, its lock is released by the OS.
    assert memory.count() == 0
    memory.close()
