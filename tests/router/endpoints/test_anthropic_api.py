"""The Anthropic endpoint against recorded-shape SSE streams served by a mock transport."""

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

import httpx2
import pytest

from router.endpoints.anthropic_api import AnthropicEndpoint
from router.endpoints.base import StreamEnd, StreamEvent, TokenDelta, ToolCallRequested
from router.endpoints.pricing import ModelPrice, PriceTable
from router.endpoints.settings import RemoteEndpointSettings
from router.errors import EndpointRequestError, EndpointUnavailableError
from router.privacy.guard import GuardedTransport
from router.types import (
    Attachment,
    GenerationOptions,
    Message,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)

KEY = "sk-ant-api03-SECRET-test-key-0123456789"
PRICES = PriceTable({"claude-haiku-4-5": ModelPrice(input=1.0, output=5.0)})
OPTIONS = GenerationOptions(max_tokens=64)
CLOUD = RemoteEndpointSettings(
    name="claude", kind="cloud", api="anthropic", model="claude-haiku-4-5-20251001"
)
WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather in a city.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
)
Handler = Callable[[httpx2.Request], httpx2.Response]


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


def sse(*events: dict[str, Any]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def message_start(input_tokens: int = 12, write: int = 1500, read: int = 3000) -> dict[str, Any]:
    usage = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "output_tokens": 1,
    }
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": CLOUD.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return {"type": "message_start", "message": message}


def text_block(index: int, *parts: str) -> list[dict[str, Any]]:
    start = {
        "type": "content_block_start",
        "index": index,
        "content_block": {"type": "text", "text": ""},
    }
    deltas = [
        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": p}}
        for p in parts
    ]
    return [start, {"type": "ping"}, *deltas, {"type": "content_block_stop", "index": index}]


def message_end(stop_reason: str = "end_turn", output_tokens: int = 15) -> list[dict[str, Any]]:
    delta = {"stop_reason": stop_reason, "stop_sequence": None}
    return [
        {"type": "message_delta", "delta": delta, "usage": {"output_tokens": output_tokens}},
        {"type": "message_stop"},
    ]


HELLO = sse(message_start(), *text_block(0, "Hello", ", world"), *message_end())


def stream_response(body: bytes, status: int = 200) -> httpx2.Response:
    return httpx2.Response(status, headers={"content-type": "text/event-stream"}, content=body)


def make(
    handler: Handler, settings: RemoteEndpointSettings = CLOUD, api_key: str | None = KEY
) -> AnthropicEndpoint:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return AnthropicEndpoint(settings, api_key=api_key, prices=PRICES, http_client=client)


async def collect(
    endpoint: AnthropicEndpoint, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()
) -> list[StreamEvent]:
    return [event async for event in endpoint.stream(messages, OPTIONS, tools)]


def assert_key_absent(exc: BaseException) -> None:
    rendered = "".join(traceback.format_exception(exc))
    assert KEY not in rendered
    assert KEY not in str(exc)


@pytest.fixture(autouse=True)
def _logs_never_hold_the_key(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    for name in (None, "anthropic", "httpx2", "httpx", "router"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    assert KEY not in caplog.text
    assert all(KEY not in str(r.args) for r in caplog.records)


async def test_request_carries_system_history_images_tools_and_cache_marks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    png = tiny_png()
    (tmp_path / "dot.png").write_bytes(png)
    (tmp_path / "notes.txt").write_text("buy milk")
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return stream_response(HELLO)

    attachments = (
        Attachment(
            name="dot.png",
            mime_type="image/png",
            size_bytes=len(png),
            path=str(tmp_path / "dot.png"),
        ),
        Attachment(
            name="notes.txt", mime_type="text/plain", size_bytes=8, path=str(tmp_path / "notes.txt")
        ),
        Attachment(
            name="blob.bin",
            mime_type="application/octet-stream",
            size_bytes=3,
            path=str(tmp_path / "x"),
        ),
    )
    messages = [
        Message(role="system", content="You are Tandem."),
        Message(role="user", content="first question"),
        Message(role="assistant", content="first answer"),
        Message(role="user", content="and also"),
        Message(role="user", content="what is in this picture?", attachments=attachments),
    ]
    await collect(make(handler), messages, [WEATHER])

    request = seen[0]
    assert request.url.path == "/v1/messages"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert body["model"] == CLOUD.model
    assert body["max_tokens"] == 64
    assert body["stream"] is True
    assert body["system"] == [
        {"type": "text", "text": "You are Tandem.", "cache_control": {"type": "ephemeral"}}
    ]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][0]["content"] == [{"type": "text", "text": "first question"}]
    # The end of the stable prefix (the turn before the new one) is cacheable.
    assert body["messages"][1]["content"] == [
        {"type": "text", "text": "first answer", "cache_control": {"type": "ephemeral"}}
    ]
    new_turn = body["messages"][2]["content"]
    assert new_turn[0] == {"type": "text", "text": "and also"}
    assert new_turn[1] == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(png).decode(),
        },
    }
    assert new_turn[2] == {"type": "text", "text": '<file name="notes.txt">\nbuy milk\n</file>'}
    assert "blob.bin" in new_turn[3]["text"] and "not sent" in new_turn[3]["text"]
    assert new_turn[4] == {"type": "text", "text": "what is in this picture?"}
    assert all("cache_control" not in block for block in new_turn)
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "input_schema": WEATHER.input_schema,
        }
    ]
    assert "Request options" in caplog.text  # the SDK's debug log was captured and checked


async def test_text_stream_yields_deltas_then_usage_with_cache_tokens_and_cost() -> None:
    endpoint = make(lambda _: stream_response(HELLO))
    events = await collect(endpoint, [Message(role="user", content="hi")])

    assert [e.text for e in events if isinstance(e, TokenDelta)] == ["Hello", ", world"]
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "stop"
    usage = end.usage
    assert (usage.input_tokens, usage.output_tokens) == (12, 15)
    assert (usage.cache_write_tokens, usage.cache_read_tokens) == (1500, 3000)
    expected = (12 * 1 + 15 * 5 + 1500 * 1 * 1.25 + 3000 * 1 * 0.1) / 1e6
    assert usage.cost_usd == pytest.approx(expected)
    assert usage.ttft_s is not None and 0 <= usage.ttft_s <= usage.latency_s
    assert endpoint.cost(1_000_000, 0) == pytest.approx(1.0)


async def test_tool_use_block_becomes_a_tool_call_with_assembled_input() -> None:
    tool_events = [
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_01",
                "name": "get_weather",
                "input": {},
            },
        },
        *(
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": part},
            }
            for part in ("", '{"ci', 'ty": "Par', 'is"}')
        ),
        {"type": "content_block_stop", "index": 1},
    ]
    body = sse(
        message_start(), *text_block(0, "Checking."), *tool_events, *message_end("tool_use", 40)
    )
    events = await collect(
        make(lambda _: stream_response(body)), [Message(role="user", content="weather?")], [WEATHER]
    )

    assert isinstance(events[0], TokenDelta)
    assert events[1] == ToolCallRequested(
        call=ToolCall(id="toolu_01", name="get_weather", arguments={"city": "Paris"})
    )
    assert isinstance(events[2], StreamEnd) and events[2].finish_reason == "tool_use"


@pytest.mark.parametrize(("stop", "finish"), [("max_tokens", "length"), ("stop_sequence", "stop")])
async def test_stop_reasons_map_to_finish_reasons(stop: str, finish: str) -> None:
    body = sse(message_start(), *text_block(0, "x"), *message_end(stop))
    events = await collect(
        make(lambda _: stream_response(body)), [Message(role="user", content="hi")]
    )
    assert isinstance(events[-1], StreamEnd) and events[-1].finish_reason == finish


async def test_tool_calls_and_results_are_sent_back_as_blocks() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return stream_response(HELLO)

    call = ToolCall(id="toolu_01", name="get_weather", arguments={"city": "Paris"})
    messages = [
        Message(role="user", content="weather?"),
        Message(role="assistant", content="Checking.", tool_calls=(call,)),
        Message(
            role="user",
            content="",
            tool_results=(ToolResult(call_id="toolu_01", content="18C sunny"),),
        ),
    ]
    await collect(make(handler), messages, [WEATHER])
    turns = seen[0]["messages"]
    assert turns[1]["content"] == [
        {"type": "text", "text": "Checking."},
        {
            "type": "tool_use",
            "id": "toolu_01",
            "name": "get_weather",
            "input": {"city": "Paris"},
            "cache_control": {"type": "ephemeral"},
        },
    ]
    assert turns[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_01",
            "content": "18C sunny",
            "is_error": False,
        }
    ]


def _error(status: int, error_type: str, headers: dict[str, str] | None = None) -> Handler:
    body = {"type": "error", "error": {"type": error_type, "message": f"bad things; key was {KEY}"}}
    return lambda _: httpx2.Response(status, json=body, headers=headers or {})


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (401, "authentication_error", EndpointRequestError),
        (403, "permission_error", EndpointRequestError),
        (400, "invalid_request_error", EndpointRequestError),
        (404, "not_found_error", EndpointRequestError),
        (500, "api_error", EndpointUnavailableError),
        (529, "overloaded_error", EndpointUnavailableError),
    ],
)
async def test_http_errors_map_to_tandem_errors_without_the_key(
    status: int, error_type: str, expected: type[Exception]
) -> None:
    with pytest.raises(expected) as err:
        await collect(make(_error(status, error_type)), [Message(role="user", content="hi")])
    exc = err.value
    assert getattr(exc, "status", None) == status
    assert error_type in str(exc)
    assert_key_absent(exc)
    if status in (401, 403):
        assert "tandem endpoints key claude" in exc.hint  # type: ignore[attr-defined]


async def test_rate_limit_carries_retry_after() -> None:
    handler = _error(429, "rate_limit_error", {"retry-after": "7"})
    with pytest.raises(EndpointUnavailableError) as err:
        await collect(make(handler), [Message(role="user", content="hi")])
    assert err.value.status == 429
    assert err.value.retry_after_s == 7.0
    assert_key_absent(err.value)


@pytest.mark.parametrize(
    ("failure", "connect_failed"),
    [
        (httpx2.ConnectError("[Errno 111] Connection refused"), True),
        (httpx2.ConnectTimeout("timed out"), True),
        (httpx2.ReadTimeout("timed out"), False),
    ],
)
async def test_network_failures_are_unavailable(failure: Exception, connect_failed: bool) -> None:
    def handler(_: httpx2.Request) -> httpx2.Response:
        raise failure

    with pytest.raises(EndpointUnavailableError) as err:
        await collect(make(handler), [Message(role="user", content="hi")])
    assert err.value.connect_failed is connect_failed
    assert_key_absent(err.value)


@pytest.mark.parametrize(
    "body",
    [
        sse(message_start(), *text_block(0, "Hel")),  # cut before message_stop
        sse(message_start()) + b"event: content_block_delta\ndata: {not json\n\n",
    ],
    ids=["truncated", "invalid-json"],
)
async def test_broken_streams_are_unavailable(body: bytes) -> None:
    events: list[StreamEvent] = []
    with pytest.raises(EndpointUnavailableError, match="the answer stream broke off") as err:
        async for event in make(lambda _: stream_response(body)).stream(
            [Message(role="user", content="hi")], OPTIONS
        ):
            events.append(event)
    assert not any(isinstance(e, StreamEnd) for e in events)
    assert_key_absent(err.value)


async def test_error_event_inside_the_stream_is_unavailable() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    body = (
        sse(message_start(), *text_block(0, "Hi"))
        + f"event: error\ndata: {json.dumps(error)}\n\n".encode()
    )
    with pytest.raises(EndpointUnavailableError) as err:
        await collect(make(lambda _: stream_response(body)), [Message(role="user", content="hi")])
    assert err.value.status == 529


class _Body(httpx2.AsyncByteStream):
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
    # Whether the SDK lets the transport error through or wraps it in its own
    # APIConnectionError, and how it words it, changes between SDK releases. Tandem's
    # part does not: what arrived stays delivered, then the endpoint is reported
    # unavailable by name (so the turn falls back), as a dropped connection rather
    # than an unreachable host, without the key.
    body = _Body(
        sse(message_start(), *text_block(0, "Hel")), httpx2.RemoteProtocolError("peer closed")
    )
    endpoint = make(
        lambda _: httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=body)
    )
    events: list[StreamEvent] = []
    with pytest.raises(EndpointUnavailableError) as err:
        async for event in endpoint.stream([Message(role="user", content="hi")], OPTIONS):
            events.append(event)
    assert events == [TokenDelta(text="Hel")]
    assert err.value.message.startswith(CLOUD.name)
    assert not err.value.connect_failed and err.value.status is None
    assert err.value.hint
    assert_key_absent(err.value)


async def test_closing_the_stream_early_closes_the_http_response() -> None:
    body = _Body(sse(message_start(), *text_block(0, "Hel")))
    endpoint = make(
        lambda _: httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=body)
    )
    stream = endpoint.stream([Message(role="user", content="hi")], OPTIONS)
    first = await anext(stream)
    assert first == TokenDelta(text="Hel")
    assert not body.closed
    await stream.aclose()
    assert body.closed


async def test_edge_without_a_key_sends_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return stream_response(HELLO)

    edge = RemoteEndpointSettings(
        name="home",
        kind="edge",
        api="anthropic",
        model="tandem-edge",
        base_url="http://10.0.0.2:8642",
    )
    events = await collect(make(handler, edge, api_key=None), [Message(role="user", content="hi")])
    assert isinstance(events[-1], StreamEnd)
    assert str(seen[0].url) == "http://10.0.0.2:8642/v1/messages"
    assert "authorization" not in seen[0].headers and "x-api-key" not in seen[0].headers
    assert KEY not in str(seen[0].headers)


async def test_cloud_without_a_key_fails_before_sending() -> None:
    def handler(_: httpx2.Request) -> httpx2.Response:
        raise AssertionError("no request should be sent")

    with pytest.raises(EndpointRequestError) as err:
        await collect(make(handler, api_key=None), [Message(role="user", content="hi")])
    assert "tandem endpoints key claude" in err.value.hint


async def test_token_counts_estimate_offline_and_exactly_via_the_api() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"input_tokens": 42})

    endpoint = make(handler)
    messages = [Message(role="system", content="sys"), Message(role="user", content="x" * 400)]
    assert endpoint.count_tokens(messages) == 0 + 4 + 100 + 4
    assert await endpoint.count_tokens_exact(messages) == 42
    assert seen[0].url.path == "/v1/messages/count_tokens"
    assert json.loads(seen[0].content)["system"] == [{"type": "text", "text": "sys"}]


async def test_lent_http_client_stays_open_after_aclose() -> None:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda _: stream_response(HELLO)))
    endpoint = AnthropicEndpoint(CLOUD, api_key=KEY, prices=PRICES, http_client=client)
    await endpoint.aclose()
    assert not client.is_closed
    assert endpoint.context_window == 200_000
    assert endpoint.kind == "cloud" and endpoint.name == "claude"
    assert Usage().cost_usd == 0.0


def test_a_packer_marked_prefix_replaces_the_last_turn_breakpoint() -> None:
    from router.endpoints.anthropic_api import build_messages

    messages = [
        Message(role="system", content="be brief\n\nSummary: ...", cache_breakpoint=True),
        Message(role="user", content="Earlier, relevant to this question: ..."),
        Message(role="assistant", content="noted"),
        Message(role="user", content="the new question"),
    ]
    system, turns = build_messages(messages, caching=True)
    assert system[-1]["cache_control"] == {"type": "ephemeral"}
    # The retrieved block changes with every question: no breakpoint after it.
    assert all("cache_control" not in b for t in turns for b in t["content"])
    _, unmarked = build_messages(
        [m.model_copy(update={"cache_breakpoint": False}) for m in messages], caching=True
    )
    assert "cache_control" in unmarked[-2]["content"][-1]


async def test_built_without_a_client_it_leaves_through_the_guard_s_factory() -> None:
    # Not a client of the SDK's own making: that one would pass no egress guard.
    endpoint = AnthropicEndpoint(CLOUD, api_key=KEY, prices=PRICES)
    try:
        assert isinstance(endpoint._client._client._transport, GuardedTransport)
    finally:
        await endpoint.aclose()
