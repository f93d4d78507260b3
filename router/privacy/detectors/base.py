"""The `Detector` seam."""

from __future__ import annotations

from typing import Protocol

from router.types import Finding


class Detector(Protocol):
    """Finds sensitive spans in text. Offsets are into the text as given."""

    name: str

    def detect(self, text: str) -> list[Finding]:
        """Return every finding in `text` (part `text`; callers relabel the part)."""
        ...
