"""A terminal progress bar for long copies (model assembly)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO


def terminal_progress(label: str, stream: TextIO = sys.stderr) -> Callable[[int, int], None]:
    """Return a (done, total) callback that draws a one-line progress bar on `stream`."""
    last = -1
    # Redrawing with \r only makes sense on a terminal; logs get a line per 10%.
    step = 1 if stream.isatty() else 10

    def update(done: int, total: int) -> None:
        nonlocal last
        percent = 100 * done // total if total else 100
        if percent // step == last // step and last >= 0:
            return
        last = percent
        filled = percent * 30 // 100
        bar = "█" * filled + "·" * (30 - filled)
        end = "\n" if done >= total or step > 1 else ""
        start = "\r" if step == 1 else ""
        stream.write(
            f"{start}{label} [{bar}] {percent:3d}% {done / 1e6:.0f}/{total / 1e6:.0f} MB{end}"
        )
        stream.flush()

    return update
