"""Fault injection for the local model's worker, so crash handling is tested without AMX.

`TANDEM_LLAMA_FAULT` holds comma-separated faults, read by each worker at start:

- `segv-with-extra-buffers`: SIGSEGV at the first decode unless extra CPU
  buffers are off (what llama.cpp's AMX path does on Sapphire Rapids).
- `nan-with-extra-buffers`: the self-test sees NaN logits unless they are off.
- `segv-once:PATH` / `hang-once:PATH` / `exit-once:PATH`: if PATH exists,
  delete it and crash (SIGSEGV), hang, or exit at the next turn's decode (not
  the self-test's); one turn is lost and the restarted worker runs normally.
- `hold:PATH`: every decode waits while PATH exists (a test holds the model busy).
"""

from __future__ import annotations

import ctypes
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ENV = "TANDEM_LLAMA_FAULT"


def _segfault() -> None:
    """Read address 0: a real, synchronous SIGSEGV in this thread, like a native crash.

    (A signal sent with os.kill may land on another thread while this one
    finishes the generation first.)
    """
    ctypes.string_at(0)
    while True:  # never reached
        time.sleep(3600)


class _Profile(Protocol):
    @property
    def extra_buffers(self) -> bool: ...


@dataclass
class FaultPlan:
    """The faults this worker injects."""

    faults: set[str] = field(default_factory=set)
    once: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> FaultPlan:
        """The plan in `TANDEM_LLAMA_FAULT` (empty when unset)."""
        plan = cls()
        for item in filter(None, (s.strip() for s in os.environ.get(ENV, "").split(","))):
            name, _, path = item.partition(":")
            if path:
                plan.once[name] = Path(path)
            else:
                plan.faults.add(name)
        return plan

    def before_decode(self, profile: _Profile | None, *, selftest: bool = False) -> None:
        """Crash or hang here if a fault says so."""
        extra = profile is None or profile.extra_buffers
        if "segv-with-extra-buffers" in self.faults and extra:
            _segfault()
        if selftest:
            return
        for name, path in self.once.items():
            if name == "hold":
                while path.exists():
                    time.sleep(0.01)
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            if name == "segv-once":
                _segfault()
            elif name == "exit-once":
                os._exit(3)
            elif name == "hang-once":
                while True:
                    time.sleep(3600)

    def poison(self, logits: Any, profile: _Profile | None) -> Any:
        """NaN logits when `nan-with-extra-buffers` applies, else `logits` unchanged."""
        if "nan-with-extra-buffers" in self.faults and (profile is None or profile.extra_buffers):
            return logits * float("nan")
        return logits
