"""One-time pairing codes and the limits on guessing them.

The desktop shows a code (and a QR of the pairing link that carries it); the phone sends it
back once. A code is eight Crockford base-32 characters (40 random bits) shown as
`K7QD-M2XP`: short enough to type, and with at most 20 guesses per ten minutes a guesser
would need 2^40 / 20 ten-minute windows, about a million years, on average. A code works
once and expires after ten minutes.

Failed attempts are limited per client (its IP address) and overall; while a limit holds,
even the right code is refused (429 with a Retry-After), or the limit would not protect it.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U, so a typed code is not misread."""
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
CODE_TTL = timedelta(minutes=10)
"""Prior: how long a pairing code works: time to find the phone and scan, no longer."""
CLIENT_LIMIT, CLIENT_WINDOW = 5, timedelta(minutes=1)
"""Prior: failed attempts one client may make per window before it must wait."""
OVERALL_LIMIT, OVERALL_WINDOW = 20, timedelta(minutes=10)
"""Prior: failed attempts all clients together may make per window (a LAN of guessers)."""


@dataclass(frozen=True)
class PairingCode:
    """A code as the desktop shows it, and when it stops working (UTC)."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Verdict:
    """How a pairing attempt went: accepted, or the HTTP status and a sentence to show."""

    accepted: bool
    status: int
    message: str
    retry_after_s: int = 0
    """With status 429: seconds until the client may try again."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _normalise(typed: str) -> str:
    return "".join(c for c in typed.upper().translate(_LOOK_ALIKES) if c.isalnum())


class PairingCodes:
    """The current pairing code and the record of failed attempts."""

    def __init__(self, now: Callable[[], datetime] = _utc_now) -> None:
        self._now = now
        self.current: PairingCode | None = None
        """The code that works now (it may have expired); None once used."""
        self._failures: dict[str, deque[datetime]] = {}
        self._all_failures: deque[datetime] = deque()

    def new_code(self) -> PairingCode:
        """Issue a fresh code; the previous one stops working."""
        raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
        self.current = PairingCode(f"{raw[:4]}-{raw[4:]}", self._now() + CODE_TTL)
        return self.current

    def redeem(self, typed: str, client: str) -> Verdict:
        """Check `typed` from `client` (its address); the right code is used up."""
        now = self._now()
        wait = self._wait_s(client, now)
        if wait:
            return Verdict(
                False,
                429,
                f"Too many wrong pairing codes; try again in {wait} seconds.",
                retry_after_s=wait,
            )
        code = self.current
        if code is None or not hmac.compare_digest(_normalise(typed), _normalise(code.code)):
            self._fail(client, now)
            return Verdict(
                False,
                403,
                "That pairing code is not the one Tandem shows; check it on the computer, or "
                "scan the QR code again.",
            )
        if now >= code.expires_at:
            self._fail(client, now)
            return Verdict(
                False,
                403,
                "That pairing code has expired; ask Tandem on the computer for a new one.",
            )
        self.current = None
        return Verdict(True, 200, "Paired.")

    def _wait_s(self, client: str, now: datetime) -> int:
        """Seconds `client` must wait before its next attempt; 0 if it may try now."""
        mine = self._failures.get(client, deque())
        waits = [
            _wait(mine, CLIENT_LIMIT, CLIENT_WINDOW, now),
            _wait(self._all_failures, OVERALL_LIMIT, OVERALL_WINDOW, now),
        ]
        if not mine:
            self._failures.pop(client, None)  # forget clients whose failures aged out
        return max(waits)

    def _fail(self, client: str, now: datetime) -> None:
        self._failures.setdefault(client, deque()).append(now)
        self._all_failures.append(now)


def _wait(failures: deque[datetime], limit: int, window: timedelta, now: datetime) -> int:
    """Drop failures older than `window`; the seconds until fewer than `limit` remain."""
    while failures and failures[0] <= now - window:
        failures.popleft()
    if len(failures) < limit:
        return 0
    free_at = failures[len(failures) - limit] + window
    return max(1, math.ceil((free_at - now).total_seconds()))
