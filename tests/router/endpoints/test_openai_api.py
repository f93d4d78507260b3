"""The OpenAI-compatible endpoint against chat-completion SSE streams on a mock transport."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import struct
import traceback
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.endpoints.base import StreamEnd, StreamEvent, TokenDelta, ToolCallRequested
from router.endpoints.openai_api import OpenAICompatEndpoint
from router.endpoints.pricing import ModelPrice, PriceTable
from router.endpoints.settings import RemoteEndpointSettings
from router.errors import ConfigError, EndpointRequestError, EndpointUnavailableError
from router.privacy.guard import GuardedTransport
from router.types import Attachment, GenerationOptions, Message, ToolCall, ToolResult, ToolSpec

KEY = "sk-proj-SECRET-test-key-0123456789abcdef"
PRICES = PriceTable({"gpt-4o-mini": ModelPrice(input=0.15, output=0.6)})
OPTIONS = GenerationOptions(max_tokens=64, temperature=0.2, top_p=0.9, seed=7)
SETTINGS = RemoteEndpointSettings(
    name="box", kind="edge", api="openai", model="gpt-4o-mini", base_url="http://10.0.0.3:11434/v1/"
)
WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather in a city.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
)
Handler = Callable[[httpx.Request], httpx.Response]


def tiny_png() -> bytes:
    """A valid 1x1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini",
        "choices": [choice],
    }


USAGE = {
    "id": "chatcmpl-1",
    "choices": [],
    "usage": {
        "prompt_tokens": 120,
        "completion_tokens": 5,
        "total_tokens": 125,
        "prompt_tokens_details": {"cached_tokens": 100},
    },
}


def sse(*chunks: dict[str, Any], done: bool = True) -> bytes:
    body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    return (": keep-alive\n\n" + body + ("data: [DONE]\n\n" if done else "")).encode()


HELLO = sse(
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hello"}),
    chunk({"content": ", world"}),
    chunk(finish="stop"),
    USAGE,
)


def stream_response(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"content-type": "text/event-stream"}, content=body)


def make(
    handler: Handler, settings: RemoteEndpointSettings = SETTINGS, api_key: str | None = KEY
) -> OpenAICompatEndpoint:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenAICompatEndpoint(settings, api_key=api_key, prices=PRICES, http_client=client)


async def collect(
    endpoint: OpenAICompatEndpoint, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()
) -> list[StreamEvent]:
    return [event async for event in endpoint.stream(messages, OPTIONS, tools)]


def assert_key_absent(exc: BaseException) -> None:
    assert KEY not in "".join(traceback.format_exception(exc))
    assert KEY not in str(exc)


@pytest.fixture(autouse=True)
def _logs_never_hold_the_key(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    for name in (None, "httpx", "httpcore", "router"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    assert KEY not in caplog.text
    assert all(KEY not in str(r.args) for r in caplog.records)


HI = [Message(role="user", content="hi")]


def test_base_url_is_required() -> None:
    settings = RemoteEndpointSettings(name="box", kind="edge", api="openai", model="m")
    with pytest.raises(ConfigError) as err:
        OpenAICompatEndpoint(settings, api_key=None, prices=PRICES)
    assert "base_url" in err.value.message and "base_url" in err.value.hint


async def test_request_carries_messages_images_tools_and_stream_options(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    png = tiny_png()
    (tmp_path / "dot.png").write_bytes(png)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return stream_response(HELLO)

    call = ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})
    image = Attachment(
        name="dot.png", mime_type="image/png", size_bytes=len(png), path=str(tmp_path / "dot.png")
    )
    messages = [
        Message(role="system", content="You are Tandem."),
        Message(role="user", content="weather?"),
        Message(role="assistant", content="", tool_calls=(call,)),
        Message(
            role="user", content="", tool_results=(ToolResult(call_id="call_1", content="18C"),)
        ),
        Message(role="assistant", content="It is 18C."),
        Message(role="user", content="and this?", attachments=(image,)),
    ]
    await collect(make(handler), messages, [WEATHER])

    request = seen[0]
    assert str(request.url) == "http://10.0.0.3:11434/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o-mini"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["seed"]) == (
        64,
        0.2,
        0.9,
        7,
    )
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert body["messages"] == [
        {"role": "system", "content": "You are Tandem."},
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "assistant", "content": "It is 18C."},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": data_url}},
                {"type": "text", "text": "and this?"},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather in a city.",
                "parameters": WEATHER.input_schema,
            },
        }
    ]
    assert "HTTP Request: POST" in caplog.text  # httpx's own log was captured and checked


async def test_text_stream_yields_deltas_then_usage_and_cost() -> None:
    events = await collect(make(lambda _: stream_response(HELLO)), HI)
    assert [e.text for e in events if isinstance(e, TokenDelta)] == ["Hello", ", world"]
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    # Cached prompt tokens are reported apart from the uncached input.
    assert (end.usage.input_tokens, end.usage.cache_read_tokens, end.usage.output_tokens) == (
        20,
        100,
        5,
    )
    assert end.usage.cost_usd == pytest.approx((20 * 0.15 + 5 * 0.6 + 100 * 0.15 * 0.1) / 1e6)
    assert end.usage.ttft_s is not None and end.usage.ttft_s <= end.usage.latency_s


async def test_without_a_usage_chunk_usage_is_estimated() -> None:
    body = sse(chunk({"content": "12345678"}), chunk(finish="length"))
    events = await collect(
        make(lambda _: stream_response(body)), [Message(role="user", content="x" * 40)]
    )
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "length"
    assert (end.usage.input_tokens, end.usage.output_tokens) == (14, 2)


async def test_streamed_tool_call_fragments_are_assembled() -> None:
    first = {
        "index": 0,
        "id": "call_abc",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    body = sse(
        chunk({"role": "assistant", "content": None, "tool_calls": [first]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city"'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ': "Paris"}'}}]}),
        chunk(finish="tool_calls"),
        USAGE,
    )
    events = await collect(make(lambda _: stream_response(body)), HI, [WEATHER])
    assert events[0] == ToolCallRequested(
        call=ToolCall(id="call_abc", name="get_weather", arguments={"city": "Paris"})
    )
    assert isinstance(events[1], StreamEnd) and events[1].finish_reason == "tool_use"


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    return lambda _: httpx.Response(status, json=body, headers=headers or {})


OPENAI_ERROR = {
    "error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request_error"}
}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, OPENAI_ERROR, EndpointRequestError),
        (400, OPENAI_ERROR, EndpointRequestError),
        (404, {"error": f"model 'gpt-4o-mini' not found ({KEY})"}, EndpointRequestError),
        (413, {"error": {"message": "too large"}}, EndpointRequestError),
        (
            500,
            {"error": {"message": f"boom {KEY}", "type": "server_error"}},
            EndpointUnavailableError,
        ),
        (503, {"detail": "loading model"}, EndpointUnavailableError),
    ],
)
async def test_http_errors_map_to_tandem_errors_without_the_key(
    status: int, body: Any, expected: type[Exception]
) -> None:
    with pytest.raises(expected) as err:
        await collect(make(_error(status, body)), HI)
    assert getattr(err.value, "status", None) == status
    assert_key_absent(err.value)
    if status == 401:
        assert "tandem endpoints key box" in err.value.hint  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("headers", "retry_after_s"), [({"retry-after": "3"}, 3.0), ({"retry-after-ms": "1500"}, 1.5)]
)
async def test_rate_limit_carries_retry_after(
    headers: dict[str, str], retry_after_s: float
) -> None:
    with pytest.raises(EndpointUnavailableError) as err:
        await collect(make(_error(429, OPENAI_ERROR, headers)), HI)
    assert err.value.status == 429
    assert err.value.retry_after_s == retry_after_s
    assert_key_absent(err.value)


@pytest.mark.parametrize(
    ("failure", "connect_failed"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), True),
        (httpx.ConnectTimeout("timed out"), True),
        (httpx.ReadTimeout("timed out"), False),
    ],
)
async def test_network_failures_are_unavailable(failure: Exception, connect_failed: bool) -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(EndpointUnavailableError) as err:
        await collect(make(handler), HI)
    assert err.value.connect_failed is connect_failed
    assert_key_absent(err.value)


@pytest.mark.parametrize(
    "body",
    [
        sse(chunk({"content": "Hel"}), done=False),
        sse(chunk({"content": "Hel"}), done=False) + b"data: {not json\n\n",
        sse(chunk({"content": "Hel"}), {"error": {"message": "out of memory"}}),
    ],
    ids=["no-done", "invalid-json", "error-chunk"],
)
async def test_broken_streams_are_unavailable(body: bytes) -> None:
    events: list[StreamEvent] = []
    with pytest.raises(EndpointUnavailableError, match="the answer stream broke off") as err:
        async for event in make(lambda _: stream_response(body)).stream(HI, OPTIONS):
            events.append(event)
    assert events == [TokenDelta(text="Hel")]
    assert_key_absent(err.value)


class _Body(httpx.AsyncByteStream):
    """Sends `head`, then either fails with `error` or waits until closed."""

    def __init__(self, head: bytes, error: Exception | None = None) -> None:
        self.head, self.error = head, error
        self.closed = False
        self._never = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        if self.error is not None:
            raise self.error
        await self._never.wait()

    async def aclose(self) -> None:
        self.closed = True


async def test_connection_dropped_mid_stream_is_unavailable() -> None:
    body = _Body(
        sse(chunk({"content": "Hel"}), done=False), httpx.RemoteProtocolError("peer closed")
    )
    endpoint = make(lambda _: httpx.Response(200, stream=body))
    with pytest.raises(EndpointUnavailableError, match="broke off") as err:
        await collect(endpoint, HI)
    assert not err.value.connect_failed


async def test_closing_the_stream_early_closes_the_http_response() -> None:
    body = _Body(sse(chunk({"content": "Hel"}), done=False))
    stream = make(lambda _: httpx.Response(200, stream=body)).stream(HI, OPTIONS)
    assert await anext(stream) == TokenDelta(text="Hel")
    assert not body.closed
    await stream.aclose()
    assert body.closed


async def test_without_a_key_no_authorization_is_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return stream_response(HELLO)

    endpoint = make(handler, api_key=None)
    assert isinstance((await collect(endpoint, HI))[-1], StreamEnd)
    assert "authorization" not in seen[0].headers
    assert endpoint.count_tokens([Message(role="user", content="x" * 40)]) == 14
    assert endpoint.cost(1_000_000, 1_000_000) == pytest.approx(0.75)
    assert endpoint.context_window == 200_000


async def test_built_without_a_client_it_leaves_through_the_guard_s_factory() -> None:
    endpoint = OpenAICompatEndpoint(SETTINGS, api_key=KEY, prices=PRICES)
    try:
        assert isinstance(endpoint._http._transport, GuardedTransport)
    finally:
        await endpoint.aclose()
