"""Rolling measurements of each endpoint's speed, from the turns it really served.

`LatencyTracker` keeps, per endpoint, an exponentially weighted mean of the
whole-answer latency, of the time to the first token (the round trip: network,
queue and prefill) and of the decode throughput (output tokens a second after
the first). The pipeline feeds it every finished turn, and seeds it from the
ledger at start-up so a restart keeps its estimates; the policies read it
through `EndpointState` (router/policy/features.py).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from router.types import Usage

if TYPE_CHECKING:
    from router.ledger.store import Ledger


class LatencyTracker:
    """Rolling latency, time to first token and throughput per endpoint; thread-safe."""

    def __init__(self, alpha: float = 0.3) -> None:
        """`alpha` is the weight of the newest measurement (a prior, hand-set)."""
        self._alpha = alpha
        self._lock = threading.Lock()
        self._latency: dict[str, float] = {}
        self._ttft: dict[str, float] = {}
        self._throughput: dict[str, float] = {}

    def observe(self, endpoint: str, usage: Usage) -> None:
        """Fold one finished generation's timings into the endpoint's estimates."""
        with self._lock:
            self._latency[endpoint] = self._mix(self._latency.get(endpoint), usage.latency_s)
            if usage.ttft_s is not None:
                self._ttft[endpoint] = self._mix(self._ttft.get(endpoint), usage.ttft_s)
            if usage.tokens_per_s > 0:
                # A turn too short to time its decode says nothing about throughput.
                self._throughput[endpoint] = self._mix(
                    self._throughput.get(endpoint), usage.tokens_per_s
                )

    def _mix(self, old: float | None, new: float) -> float:
        return new if old is None else (1 - self._alpha) * old + self._alpha * new

    def latency_s(self, endpoint: str) -> float | None:
        """Rolling whole-answer latency, or None before the first measurement."""
        with self._lock:
            return self._latency.get(endpoint)

    def ttft_s(self, endpoint: str) -> float | None:
        """Rolling time to first token (the round trip), or None before the first measurement."""
        with self._lock:
            return self._ttft.get(endpoint)

    def tokens_per_s(self, endpoint: str) -> float | None:
        """Rolling decode throughput in output tokens a second, or None before one was timed."""
        with self._lock:
            return self._throughput.get(endpoint)

    def seed(self, ledger: Ledger, limit: int = 50) -> None:
        """Start from the latest recorded turns, oldest first, so a restart keeps its estimates."""
        for endpoint, usage in reversed(ledger.recent_usage(limit)):
            self.observe(endpoint, usage)
