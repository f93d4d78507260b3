"""A profile written one record at a time, so a long run can stop and resume.

Each record is appended as one line and flushed to disk before the next
question starts: a crash or Ctrl-C loses at most the question in flight, and
the file stays valid JSON Lines. `resume` reads what an earlier run left: the
ids already profiled, and it cuts a partial last line (a write a crash cut
short) so the next append starts on a fresh line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from router.learn.profile import ProfileError, ProfileRecord, parse_record


@dataclass(frozen=True)
class Resumed:
    """What an earlier run left in the output file."""

    done: frozenset[str]
    """Ids of the records already there."""
    dropped_partial: bool
    """Whether a partial last line (a crash mid-write) was cut."""


def _complete_record(fragment: bytes) -> bool:
    """Whether a last line with no newline is nonetheless a whole, valid record."""
    try:
        parse_record(json.loads(fragment))
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError is a ValueError
        return False
    return True


def _repair_tail(path: Path) -> bool:
    """End the file on a newline; cut a partial last record. True when one was cut."""
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    start = data.rfind(b"\n") + 1
    with path.open("r+b") as handle:
        if _complete_record(data[start:]):
            handle.seek(len(data))
            handle.write(b"\n")
            return False
        handle.truncate(start)
        return True


def resume(path: Path) -> Resumed:
    """The ids `path` already holds (none when it does not exist), after `_repair_tail`.

    A bad line other than the last is not a crash's doing: `ProfileError` names it.
    """
    if not path.exists():
        return Resumed(frozenset(), dropped_partial=False)
    dropped = _repair_tail(path)
    done: set[str] = set()
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            done.add(parse_record(json.loads(line)).id)
        except ValueError as exc:
            raise ProfileError(
                f"{path}, line {number}: {exc}",
                "fix or delete that line, or write to a new --out file",
            ) from exc
    return Resumed(frozenset(done), dropped)


def append_record(handle: IO[str], record: ProfileRecord) -> None:
    """Write one record as one line and push it to the disk before returning."""
    handle.write(json.dumps(record.to_json(), ensure_ascii=False, allow_nan=False) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


def format_duration(seconds: float) -> str:
    """A short duration: `45s`, `3m 20s`, `2h 05m`."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


class Progress:
    """Progress lines with an ETA: the mean time per question in this run times those left."""

    def __init__(
        self, total: int, already: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`total` questions in the run's selection, `already` done by earlier runs."""
        self.total = total
        self.already = already
        self.done = 0
        self._clock = clock
        self._started = clock()

    def step(self, what: str) -> str:
        """Count one more question done; the line that says so, with the pace and the ETA."""
        self.done += 1
        per_question = (self._clock() - self._started) / self.done
        left = max(0, self.total - self.already - self.done)
        return (
            f"[{self.already + self.done}/{self.total}] {what} | "
            f"{per_question:.1f} s/question, ETA {format_duration(per_question * left)}"
        )
