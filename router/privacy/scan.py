"""Stage 1, `privacy.scan`: find sensitive data in every part of a turn.

This version has no detectors yet, so every turn is clean; the privacy issue
plugs detectors and rules in here without changing the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.types import Message, PrivacyReport, TurnRequest


def scan(request: TurnRequest, history: Sequence[Message]) -> PrivacyReport:
    """Return the findings for the request and the history it may carry."""
    del request, history  # no detectors yet
    return PrivacyReport()
