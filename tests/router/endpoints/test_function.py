"""`FunctionEndpoint`: a handler writes every answer; the endpoint does the rest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from router.endpoints.base import (
    ScoredAnswer,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    ToolCallRequested,
)
from router.endpoints.fake import FakeEndpoint
from router.endpoints.function import EndpointCall, FunctionEndpoint, FunctionScoringEndpoint
from router.errors import EndpointUnavailableError
from router.policy.cascade import ScoringEndpoint
from router.types import GenerationOptions, Message, RouteDecision, ToolCall, ToolSpec, Usage

ASK = [Message(role="user", content="what is two plus two?")]


async def _events(endpoint: FunctionEndpoint, **kw: object) -> list[StreamEvent]:
    options = GenerationOptions(max_tokens=int(kw.pop("max_tokens", 64)))  # type: ignore[call-overload]
    return [e async for e in endpoint.stream(ASK, options, **kw)]  # type: ignore[arg-type]


async def test_text_is_one_delta_and_usage_is_filled_in() -> None:
    endpoint = FunctionEndpoint(lambda call: "four", price_in_per_token=1e-6)
    events = await _events(endpoint)
    assert events[0] == TokenDelta(text="four")
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    assert end.usage.output_tokens == 1 and end.usage.input_tokens > 0
    assert end.usage.cost_usd == pytest.approx(end.usage.input_tokens * 1e-6)
    assert endpoint.requests == [tuple(ASK)] and endpoint.calls[0].index == 0


async def test_a_streaming_handler_sees_the_request_and_may_call_tools() -> None:
    tool = ToolSpec(name="calc")

    async def handler(call: EndpointCall) -> AsyncGenerator[StreamEvent | str, None]:
        assert call.question == "what is two plus two?" and call.tools == (tool,)
        yield "let me "
        yield ToolCallRequested(call=ToolCall(id="c1", name="calc", arguments={"x": "2+2"}))

    events = await _events(FunctionEndpoint(handler, kind="cloud"), tools=[tool])
    assert isinstance(events[1], ToolCallRequested)
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "tool_use"


async def test_the_handler_s_own_stream_end_is_kept() -> None:
    own = StreamEnd(usage=Usage(output_tokens=99), finish_reason="stop")
    events = await _events(FunctionEndpoint(lambda call: ["a", own, "never sent"]))
    assert events == [TokenDelta(text="a"), own]


async def test_max_tokens_cuts_the_answer() -> None:
    events = await _events(FakeEndpoint(lambda _m: "one two three four"), max_tokens=2)
    assert "".join(e.text for e in events if isinstance(e, TokenDelta)) == "one two"
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "length"


async def test_errors_and_stalls_come_from_the_handler() -> None:
    def down(call: EndpointCall) -> str:
        raise EndpointUnavailableError("cloud: connection refused")

    endpoint = FunctionEndpoint(down, kind="cloud")
    with pytest.raises(EndpointUnavailableError):
        await _events(endpoint)
    assert len(endpoint.requests) == 1  # recorded before it failed

    async def stall(call: EndpointCall) -> str:
        await asyncio.Event().wait()
        return "never"

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_events(FunctionEndpoint(stall)), timeout=0.05)


async def test_scoring_endpoint_answers_scored_from_its_scorer() -> None:
    sample = ScoredAnswer(text="4", token_logprobs=(-0.1,), token_entropies=(0.2,), usage=Usage())
    endpoint = FunctionScoringEndpoint(lambda call: "4", lambda call: sample)
    assert isinstance(endpoint, ScoringEndpoint)
    assert not isinstance(FunctionEndpoint(lambda call: "4"), ScoringEndpoint)
    assert await endpoint.answer_scored(ASK, GenerationOptions()) == sample
    assert len(endpoint.scored) == 1 and endpoint.requests == []


def test_fakes_are_on_the_device_unless_they_stand_in_for_a_remote_endpoint() -> None:
    assert FakeEndpoint().on_device and FakeEndpoint().kind == "local"
    assert not FunctionEndpoint(lambda call: "", kind="edge").on_device


def test_routes_recorded_on_a_fake_endpoint_read_as_local() -> None:
    old = RouteDecision.model_validate(
        {"endpoint": "fake", "endpoint_kind": "fake", "policy": "local", "reason": "r"}
    )
    assert old.endpoint_kind == "local"


async def test_without_fill_end_a_stream_may_stop_short() -> None:
    events = await _events(FunctionEndpoint(lambda call: "cut", fill_end=False))
    assert events == [TokenDelta(text="cut")]
