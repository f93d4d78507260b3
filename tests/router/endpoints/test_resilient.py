"""Retries, timeouts and the circuit breaker, on scripted endpoints and a fake clock."""

import pytest

from router.endpoints.base import Endpoint, StreamEnd, TokenDelta
from router.endpoints.resilient import CircuitBreaker, ResilientEndpoint
from router.endpoints.settings import ResilienceSettings
from router.errors import EgressBlockedError, EndpointRequestError, EndpointUnavailableError
from router.types import GenerationOptions, Message, Usage
from tests.support.scripted import Scripted

SETTINGS = ResilienceSettings(
    connect_timeout_s=1, first_token_timeout_s=0.2, total_timeout_s=5, max_retries=2,
    backoff_base_s=0.5, backoff_max_s=4, breaker_failures=3, breaker_cooldown_s=30,
    fallback_to_local=True,
)  # fmt: skip
ASK = [Message(role="user", content="hi")]
OPTS = GenerationOptions()


OK = [TokenDelta(text="fine"), StreamEnd(usage=Usage(output_tokens=1), finish_reason="stop")]


def _wrap(inner: Endpoint, **overrides: float) -> tuple[ResilientEndpoint, list[float]]:
    slept: list[float] = []

    async def record(delay: float) -> None:
        slept.append(delay)

    settings = SETTINGS.model_copy(update=overrides)
    return ResilientEndpoint(inner, settings, sleep=record, jitter=lambda: 1.0), slept


async def _text(endpoint: Endpoint) -> str:
    return "".join([e.text async for e in endpoint.stream(ASK, OPTS) if isinstance(e, TokenDelta)])


async def test_retries_unavailable_errors_before_output_with_growing_backoff() -> None:
    flaky = Scripted([EndpointUnavailableError("500", status=500)],
                     [EndpointUnavailableError("500", status=500)], OK)  # fmt: skip
    endpoint, slept = _wrap(flaky)
    assert await _text(endpoint) == "fine"
    assert len(flaky.calls) == 3
    assert slept == [0.5, 1.0]
    assert endpoint.breaker.state == "closed"


async def test_retry_after_is_a_floor_for_the_delay() -> None:
    endpoint, slept = _wrap(Scripted([EndpointUnavailableError("429", retry_after_s=2.5)], OK))
    assert await _text(endpoint) == "fine"
    assert slept == [2.5]


def test_jitter_spreads_delays_between_half_and_full() -> None:
    low = ResilientEndpoint(Scripted(OK), SETTINGS, jitter=lambda: 0.0)
    high = ResilientEndpoint(Scripted(OK), SETTINGS, jitter=lambda: 1.0)
    assert [low.backoff_s(a, None) for a in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    assert [high.backoff_s(a, None) for a in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]


async def test_gives_up_after_max_retries() -> None:
    flaky = Scripted([EndpointUnavailableError("overloaded", status=529)])
    endpoint, slept = _wrap(flaky)
    with pytest.raises(EndpointUnavailableError, match="overloaded"):
        await _text(endpoint)
    assert len(flaky.calls) == 3 and len(slept) == 2
    assert endpoint.breaker.consecutive_failures == 1


async def test_no_retry_once_text_has_been_streamed() -> None:
    broken = Scripted([TokenDelta(text="half"), EndpointUnavailableError("reset", status=None)], OK)
    endpoint, slept = _wrap(broken)
    seen = []
    with pytest.raises(EndpointUnavailableError, match="reset"):
        async for event in endpoint.stream(ASK, OPTS):
            seen.append(event)
    assert len(broken.calls) == 1 and slept == []
    assert seen == [TokenDelta(text="half")]


async def test_connect_failure_opens_the_breaker_at_once_without_retrying() -> None:
    down = Scripted([EndpointUnavailableError("refused", connect_failed=True)])
    endpoint, slept = _wrap(down)
    with pytest.raises(EndpointUnavailableError):
        await _text(endpoint)
    assert len(down.calls) == 1 and slept == []
    assert not endpoint.available()
    with pytest.raises(EndpointUnavailableError, match="resting"):
        await _text(endpoint)
    assert len(down.calls) == 1  # skipped without a request


async def test_request_errors_are_not_retried_and_do_not_trip_the_breaker() -> None:
    bad = Scripted([EndpointRequestError("invalid key", status=401)])
    endpoint, slept = _wrap(bad)
    with pytest.raises(EndpointRequestError):
        await _text(endpoint)
    assert len(bad.calls) == 1 and slept == []
    assert endpoint.breaker.consecutive_failures == 0


async def test_first_token_timeout_then_retry() -> None:
    slow_then_ok = Scripted([5.0, *OK], OK)
    endpoint, slept = _wrap(slow_then_ok, first_token_timeout_s=0.05)
    assert await _text(endpoint) == "fine"
    assert len(slow_then_ok.calls) == 2 and len(slept) == 1


async def test_a_stream_that_stops_without_an_end_is_a_failure() -> None:
    endpoint, _ = _wrap(Scripted([TokenDelta(text="cut")]))
    with pytest.raises(EndpointUnavailableError, match="ended early"):
        await _text(endpoint)


async def test_total_timeout_bounds_retries() -> None:
    flaky = Scripted([EndpointUnavailableError("500", status=500)])
    endpoint, slept = _wrap(flaky, total_timeout_s=0.6, max_retries=10)
    with pytest.raises(EndpointUnavailableError):
        await _text(endpoint)
    assert slept == [0.5]  # the next delay (1.0 s) would pass the deadline


def test_breaker_opens_after_the_threshold_and_half_opens_after_cooldown() -> None:
    now = [100.0]
    breaker = CircuitBreaker(failures=3, cooldown_s=30, clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure("500")
    assert breaker.state == "closed"
    breaker.record_failure("500")
    assert breaker.state == "open" and breaker.retry_in_s() == 30
    now[0] += 30
    assert breaker.state == "half_open"
    breaker.record_failure("still 500")
    assert breaker.state == "open"  # a failed trial rests it again
    now[0] += 30
    breaker.record_success()
    assert breaker.state == "closed" and breaker.consecutive_failures == 0


async def test_an_egress_block_is_not_retried_and_does_not_trip_the_breaker() -> None:
    wrapped = EndpointUnavailableError("connection error")
    wrapped.__cause__ = EgressBlockedError("blocked: a protected value")
    blocked = Scripted([wrapped], OK)
    endpoint, slept = _wrap(blocked)
    with pytest.raises(EgressBlockedError):
        await _text(endpoint)
    assert len(blocked.calls) == 1 and slept == []
    assert endpoint.breaker.consecutive_failures == 0 and endpoint.available()
