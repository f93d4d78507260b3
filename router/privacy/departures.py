"""The egress guard's side of the record of outbound requests.

`EgressPolicy.depart` (guard.py) records each request before it leaves and
returns its `Departure`, which the transport settles with the response's status
or as failed. The record itself is the ledger's `WireLog` (router/ledger/wire_log.py);
the guard sees it through `OutboundRecorder`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from router.ledger.wire_log import Outcome

log = logging.getLogger(__name__)


class OutboundRecorder(Protocol):
    """The record of outbound requests the guarded transports write (the ledger's `WireLog`)."""

    def record(
        self,
        *,
        endpoint: str,
        method: str,
        url: str,
        size: int,
        body: bytes | None,
        outcome: Outcome = "sent",
    ) -> int:
        """Add a request (`body` None: not kept); return its row."""
        ...

    def settle(self, row: int, *, status: int | None = None, failed: bool = False) -> None:
        """Note how a request that left ended: its response status, or a network failure."""
        ...


@dataclass(frozen=True)
class Departure:
    """A request the guard let out, recorded before it left; settled once it ends."""

    recorder: OutboundRecorder | None
    row: int

    def answered(self, status: int) -> None:
        """The server answered with `status`."""
        self._settle(status=status)

    def failed(self) -> None:
        """The network gave no response (the request may or may not have reached the server)."""
        self._settle(failed=True)

    def _settle(self, *, status: int | None = None, failed: bool = False) -> None:
        if self.recorder is None:
            return
        try:
            self.recorder.settle(self.row, status=status, failed=failed)
        except Exception as exc:  # the request has left and its row exists; only its end is lost
            log.warning("could not note how the request to row %d ended: %s", self.row, exc)


def record_departure(
    recorder: OutboundRecorder | None, endpoint: str, method: str, url: str, body: bytes
) -> Departure:
    """Record a request the guard passed, before it leaves (a failure here stops it)."""
    if recorder is None:
        return Departure(None, 0)
    row = recorder.record(endpoint=endpoint, method=method, url=url, size=len(body), body=body)
    return Departure(recorder, row)


def record_block(
    recorder: OutboundRecorder | None, endpoint: str, method: str, url: str, size: int
) -> None:
    """Record a request the guard stopped: where it was going and its size, never its body."""
    if recorder is not None:
        recorder.record(
            endpoint=endpoint, method=method, url=url, size=size, body=None, outcome="blocked"
        )
