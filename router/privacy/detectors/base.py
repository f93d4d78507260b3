"""The `Detector` seam, and the adapters that make other things detectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from router.types import Finding

DetectFn = Callable[[str], list[Finding]]
"""Returns the findings in one text (offsets into that text)."""


class Detector(Protocol):
    """Finds sensitive spans in text. Offsets are into the text as given.

    The scanner caches findings by text, per detector list: a detector's findings
    must depend on the text only, and detectors must be hashable to be cached
    (plain classes and frozen dataclasses are).
    """

    @property
    def name(self) -> str:
        """Short identifier, e.g. `patterns`, `ner`; also each finding's `detector`."""
        ...

    def detect(self, text: str) -> list[Finding]:
        """Return every finding in `text` (part `text`; callers relabel the part)."""
        ...


@dataclass(frozen=True)
class FunctionDetector:
    """A `Detector` that calls `fn`: the fake for tests, or a one-off rule in code.

    `FunctionDetector(lambda text: [])` finds nothing.
    """

    fn: DetectFn
    name: str = "function"

    def detect(self, text: str) -> list[Finding]:
        """Return `fn(text)`."""
        return list(self.fn(text))


@dataclass(frozen=True)
class WithoutTypes:
    """`inner`, minus the findings whose type is in `types` (e.g. NER's `NAME_LIKE`)."""

    inner: Detector
    types: frozenset[str]

    @property
    def name(self) -> str:
        """The wrapped detector's name."""
        return self.inner.name

    def detect(self, text: str) -> list[Finding]:
        """Return `inner`'s findings in `text` of every type not in `types`."""
        return [f for f in self.inner.detect(text) if f.type not in self.types]
