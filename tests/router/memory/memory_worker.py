"""A separate process that writes to and searches a shared on-device memory (for tests).

python -m tests.router.memory.memory_worker FOLDER NAME COUNT OTHER
Waits for FOLDER/../go, adds COUNT turns one by one (searching after each),
then waits for OTHER's done file and searches for all of OTHER's turns.
Prints a JSON line: {"misses_own": n, "misses_other": n}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from router.memory.index import EmbeddedIndex
from router.memory.store import MemoryStore
from tests.router.memory.conftest import make_turn

ANIMALS = ["otter", "heron", "lynx", "badger", "gecko", "walrus", "falcon", "newt"]
FOODS = ["plums", "crackers", "salmon", "figs", "noodles", "walnuts", "cheese"]
PLACES = ["harbour", "attic", "glacier", "orchard", "subway", "library"]


def turn_text(name: str, i: int) -> tuple[str, str]:
    """A distinct question and answer for turn `i` of worker `name`."""
    animal, food, place = ANIMALS[i % 8], FOODS[(i * 3) % 7], PLACES[(i * 5) % 6]
    return (
        f"Worker {name} note {i}: why did the {animal} hide {i + 2} {food} in the {place}?",
        f"Because the {place} felt safe to a {animal} that loves {food} ({name}-{i}).",
    )


def _wait(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {path}")
        time.sleep(0.02)


def main(folder: Path, name: str, count: int, other: str) -> None:
    """Run one worker (see the module docstring)."""
    _wait(folder.parent / "go")
    misses_own = misses_other = 0
    with MemoryStore(EmbeddedIndex(folder, "turns")) as memory:
        for i in range(count):
            question, answer = turn_text(name, i)
            turn = make_turn(f"session-{name}", i, question, answer)
            memory.add_turn(turn)
            hits = memory.search(question, session_id=f"session-{name}", k=1)
            misses_own += not hits or hits[0].turn_id != turn.id
        (folder.parent / f"done-{name}").touch()
        _wait(folder.parent / f"done-{other}")
        for i in range(count):
            question, _ = turn_text(other, i)
            hits = memory.search(question, session_id=f"session-{other}", k=1)
            misses_other += not hits or hits[0].seq != i
    print(json.dumps({"misses_own": misses_own, "misses_other": misses_other}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4])
