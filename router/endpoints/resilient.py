"""Timeouts, retries and a circuit breaker around an off-device endpoint.

Retries happen only before the first token: once text has reached the user, a
retry would show it twice, so a failure mid-answer is raised for the pipeline
to finish the turn on the device instead. An endpoint that cannot even be
connected to is skipped at once (the network or host is down), and one that
keeps failing is rested for a cooldown, so turns go local without waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from typing import Literal

from router.endpoints.base import Endpoint, StreamEnd, StreamEvent, TokenDelta, ToolCallRequested
from router.endpoints.settings import ResilienceSettings
from router.errors import EgressBlockedError, EndpointUnavailableError
from router.types import GenerationOptions, Message, ToolSpec

Clock = Callable[[], float]
BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Counts consecutive failures; when open, the endpoint is skipped until a cooldown ends."""

    def __init__(self, failures: int, cooldown_s: float, clock: Clock = time.monotonic) -> None:
        self.threshold, self.cooldown_s, self._clock = failures, cooldown_s, clock
        self.consecutive_failures = 0
        self._opened_at: float | None = None
        self.last_error = ""

    @property
    def state(self) -> BreakerState:
        """`closed` (in use), `open` (resting) or `half_open` (cooldown over: one trial)."""
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self.cooldown_s else "open"

    def retry_in_s(self) -> float:
        """Seconds until an open breaker lets a trial request through (0 if not open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cooldown_s - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        """A turn succeeded: close the breaker."""
        self.consecutive_failures, self._opened_at, self.last_error = 0, None, ""

    def record_failure(self, reason: str, *, unreachable: bool = False) -> None:
        """A turn failed; `unreachable` (no connection at all) opens the breaker at once."""
        self.consecutive_failures += 1
        self.last_error = reason
        if unreachable or self.consecutive_failures >= self.threshold or self.state != "closed":
            self._opened_at = self._clock()


class ResilientEndpoint(Endpoint):
    """Wraps an off-device endpoint with Tandem's timeout, retry and breaker policy."""

    def __init__(
        self,
        inner: Endpoint,
        settings: ResilienceSettings,
        *,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.name, self.kind, self.mine = inner.name, inner.kind, inner.mine
        self.settings = settings
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s, clock)
        self._clock, self._sleep, self._jitter = clock, sleep, jitter

    @property
    def context_window(self) -> int:
        """The wrapped endpoint's context window."""
        return self.inner.context_window

    def available(self) -> bool:
        """False while the breaker rests the endpoint, so policies route elsewhere at once."""
        return self.breaker.state != "open"

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """The wrapped endpoint's count."""
        return self.inner.count_tokens(messages)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """The wrapped endpoint's price."""
        return self.inner.cost(input_tokens, output_tokens)

    async def prepare(self) -> None:
        """Prepare the wrapped endpoint."""
        await self.inner.prepare()

    async def aclose(self) -> None:
        """Close the wrapped endpoint."""
        await self.inner.aclose()

    def backoff_s(self, attempt: int, retry_after_s: float | None) -> float:
        """Delay before retry `attempt` (0-based): capped exponential with jitter.

        Half the delay is random ("equal jitter"), so clients that failed together
        do not retry together; a server's `retry-after` is a floor.
        """
        capped = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2.0**attempt)
        delay = capped / 2 + self._jitter() * capped / 2
        return max(delay, retry_after_s or 0.0)

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream from the wrapped endpoint within the timeouts, retrying before output."""
        if self.breaker.state == "open":
            raise EndpointUnavailableError(
                f"{self.name} is resting after failures ({self.breaker.last_error})",
                f"it is tried again in {self.breaker.retry_in_s():.0f} s",
            )
        deadline = self._clock() + self.settings.total_timeout_s
        attempt = 0
        while True:
            started = False
            try:
                async with aclosing(self.inner.stream(messages, options, tools)) as events:
                    while True:
                        event = await self._next(events, deadline, started)
                        started = started or isinstance(event, TokenDelta | ToolCallRequested)
                        yield event
                        if isinstance(event, StreamEnd):
                            self.breaker.record_success()
                            return
            except (EndpointUnavailableError, TimeoutError) as exc:
                blocked = _egress_block(exc)
                if blocked is not None:
                    # Our own guard stopped the request: the endpoint is fine, and a
                    # retry would be blocked again. Nothing was sent.
                    raise blocked from None
                error = _as_unavailable(exc, self.name)
                delay = self.backoff_s(attempt, error.retry_after_s)
                if (
                    started
                    or error.connect_failed
                    or attempt >= self.settings.max_retries
                    or self._clock() + delay >= deadline
                ):
                    self.breaker.record_failure(error.message, unreachable=error.connect_failed)
                    raise error from exc
                attempt += 1
                await self._sleep(delay)

    async def _next(
        self, events: AsyncGenerator[StreamEvent, None], deadline: float, started: bool
    ) -> StreamEvent:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise TimeoutError(f"no complete answer within {self.settings.total_timeout_s:g} s")
        # Before the first token the first-token timeout applies; after it, a stall
        # of the same length between events counts as a broken stream too.
        limit = min(remaining, self.settings.first_token_timeout_s)
        try:
            return await asyncio.wait_for(anext(events), timeout=limit)
        except StopAsyncIteration:
            raise EndpointUnavailableError(f"{self.name}'s answer stream ended early") from None
        except TimeoutError:
            what = "the next token" if started else "a first token"
            raise TimeoutError(f"waited {limit:.1f} s for {what}") from None


def _egress_block(exc: BaseException) -> EgressBlockedError | None:
    """The egress guard's error, if it is somewhere in `exc`'s chain (SDKs wrap it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, EgressBlockedError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _as_unavailable(exc: Exception, name: str) -> EndpointUnavailableError:
    if isinstance(exc, EndpointUnavailableError):
        return exc
    return EndpointUnavailableError(f"{name} timed out: {exc}", "the answer is finished on-device")
