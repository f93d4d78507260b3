"""A detector that reports given words as given types, so a test states exactly what is found.

detector = span_detector(LOCATION="Paris|France", PERSON="Tom Hargreaves")
"""

from __future__ import annotations

import re

from router.privacy.detectors.base import FunctionDetector
from router.types import Finding


def span_detector(**typed: str) -> FunctionDetector:
    """A detector reporting each `TYPE="word|other words"` occurrence as that type."""

    def detect(text: str) -> list[Finding]:
        found = []
        for kind, alternatives in typed.items():
            for value in alternatives.split("|"):
                for m in re.finditer(re.escape(value), text):
                    found.append(
                        Finding(
                            type=kind, start=m.start(), end=m.end(), confidence=0.8, detector="t"
                        )
                    )
        return found

    return FunctionDetector(detect, name=f"spans{sorted(typed.items())}")
