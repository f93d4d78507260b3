"""Anthropic's Messages API, and Anthropic-compatible edge servers, via the official SDK.

Streams server-sent events and turns them into Tandem's stream events: text
deltas, tool calls (their JSON input assembled from `input_json_delta` parts),
and a final `StreamEnd` with tokens, cache use, timings and cost. Failures map
onto `EndpointUnavailableError` / `EndpointRequestError`, with keys redacted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

import anthropic
import httpx2
from anthropic.types import RawMessageStreamEvent

from router.endpoints.base import (
    Endpoint,
    FinishReason,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    ToolCallRequested,
)
from router.endpoints.pricing import PriceTable
from router.endpoints.remote_common import (
    ImagePart,
    Timer,
    connect_failed,
    connection_error,
    error_detail,
    estimate_prompt_tokens,
    key_hint,
    load_attachment,
    parse_retry_after,
    status_error,
    stream_broke,
)
from router.endpoints.settings import RemoteEndpointSettings
from router.endpoints.tool_specs import anthropic_tools
from router.errors import EndpointError, EndpointRequestError
from router.privacy.guard import EgressPolicy, guarded_httpx2_client
from router.types import GenerationOptions, Message, ToolCall, ToolSpec, Usage

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.anthropic.com"
_EPHEMERAL = {"type": "ephemeral"}
_FINISH: Mapping[str | None, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_use",
}
_CONNECT_ERRORS = (httpx2.ConnectError, httpx2.ConnectTimeout)
# Status codes for an `error` event inside a 200 stream, by its error type.
_EVENT_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class AnthropicEndpoint(Endpoint):
    """Streams answers from Anthropic's API or any server that speaks its Messages protocol."""

    def __init__(
        self,
        settings: RemoteEndpointSettings,
        *,
        api_key: str | None,
        prices: PriceTable,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        http_client: httpx2.AsyncClient | None = None,
        close_client: bool = False,
    ) -> None:
        self.name = settings.name
        self.kind = settings.kind
        self.mine = settings.mine
        self.settings = settings
        self._api_key = api_key
        self._prices = prices
        # A client made here is closed here; a given one only when `close_client`
        # hands it over (the registry builds guarded clients nobody else holds).
        self._owns_http = http_client is None or close_client
        auth: dict[str, Any] = {"api_key": api_key}
        if not api_key:
            # An explicit (empty) key stops the SDK from searching ANTHROPIC_API_KEY and
            # profile files, which would send the user's Anthropic key to an edge box;
            # the empty Authorization header it would make is then left out.
            auth = {"api_key": "", "default_headers": {"Authorization": anthropic.omit}}
        timeout = httpx2.Timeout(
            connect=connect_timeout_s,
            read=read_timeout_s,
            write=read_timeout_s,
            pool=connect_timeout_s,
        )
        self._client = anthropic.AsyncAnthropic(
            base_url=settings.base_url or DEFAULT_BASE_URL,
            timeout=timeout,
            # Tandem's resilience layer (router/endpoints/resilient.py) owns retries,
            # backoff and fallback; SDK retries underneath would multiply its waits.
            max_retries=0,
            # Built without a client (tests, tools), it still leaves by the guard's factory,
            # never by a client the SDK would make for itself.
            http_client=http_client
            or guarded_httpx2_client(
                EgressPolicy(), settings.name, timeout=timeout, zone=self.zone
            ),
            **auth,
        )

    @property
    def context_window(self) -> int:
        """The context window from the endpoint's settings."""
        return self.settings.context_window

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Return the USD price of a call, from the price table."""
        return self._prices.cost_usd(self.settings.model, input_tokens, output_tokens)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Estimate prompt tokens offline; `count_tokens_exact` asks the server."""
        return estimate_prompt_tokens(messages)

    async def count_tokens_exact(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()
    ) -> int:
        """Return the exact prompt tokens of `messages`, counted by the server."""
        try:
            result = await self._client.messages.count_tokens(
                **self._request(messages, tools, caching=False)
            )
        except anthropic.APIError as exc:
            raise self._error(exc) from None
        return result.input_tokens

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream the answer; see `Endpoint.stream`.

        Sampling settings other than `max_tokens` are not sent: the Messages API
        version this SDK speaks has no temperature or top_p parameters.
        """
        if not self._api_key and self.settings.base_url is None:
            raise EndpointRequestError(f"no API key for endpoint {self.name}", key_hint(self.name))
        request = self._request(messages, tools, caching=self.settings.prompt_caching)
        log.debug(
            "%s: sending %d turns to %s", self.name, len(request["messages"]), request["model"]
        )
        timer = Timer()
        try:
            sdk_stream = await self._client.messages.create(
                **request, max_tokens=options.max_tokens, stream=True
            )
        except anthropic.APIError as exc:
            raise self._error(exc) from None
        state = _StreamState(timer)
        # `async with` closes the HTTP response however the loop ends, including
        # when the consumer closes this generator early: the connection is released.
        async with sdk_stream:
            try:
                async for event in sdk_stream:
                    for out in state.feed(self.name, event):
                        yield out
            except anthropic.APIError as exc:
                raise self._error(exc) from None
            except httpx2.TimeoutException as exc:
                raise connection_error(
                    self.name, exc, connect_failed=False, timed_out=True
                ) from None
            except httpx2.TransportError as exc:
                raise stream_broke(self.name, type(exc).__name__) from None
            except json.JSONDecodeError:
                raise stream_broke(self.name, "an event was not valid JSON") from None
        if not state.stopped:
            raise stream_broke(self.name, "it ended before message_stop")
        yield StreamEnd(
            usage=state.usage(self._prices, self.settings.model), finish_reason=state.finish
        )

    def _request(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], *, caching: bool
    ) -> dict[str, Any]:
        """The request fields shared by `create` and `count_tokens`."""
        system, turns = build_messages(messages, caching=caching)
        request: dict[str, Any] = {"model": self.settings.model, "messages": turns}
        if system:
            request["system"] = system
        if tools:
            request["tools"] = anthropic_tools(tools)
        return request

    async def aclose(self) -> None:
        """Close the SDK client, unless its HTTP client was lent to us."""
        if self._owns_http:
            await self._client.close()

    def _error(self, exc: anthropic.APIError) -> EndpointError:
        """Map an SDK error onto Tandem's errors, with the key redacted."""
        if isinstance(exc, anthropic.APITimeoutError):
            return connection_error(
                self.name,
                exc.__cause__ or exc,
                connect_failed=isinstance(exc.__cause__, httpx2.ConnectTimeout),
                timed_out=True,
            )
        if isinstance(exc, anthropic.APIConnectionError):
            cause = exc.__cause__ or exc
            return connection_error(
                self.name,
                cause,
                connect_failed=connect_failed(cause, _CONNECT_ERRORS),
                timed_out=False,
            )
        if isinstance(exc, anthropic.APIStatusError):
            error_type, detail = error_detail(exc.body, exc.message)
            status = exc.status_code
            if status < 400:  # an `error` event arrived inside a 200 stream
                status = _EVENT_STATUS.get(error_type, 500)
            return status_error(
                self.name,
                status,
                f"{error_type}: {detail}",
                retry_after_s=parse_retry_after(exc.response.headers),
                secrets=(self._api_key,),
            )
        return stream_broke(self.name, type(exc).__name__)


class _StreamState:
    """Folds the raw event stream into Tandem events, usage and a finish reason."""

    def __init__(self, timer: Timer) -> None:
        self.timer = timer
        self.input = self.output = self.cache_write = self.cache_read = 0
        self.stop_reason: str | None = None
        self.stopped = False
        self._tools: dict[int, tuple[str, str, list[str]]] = {}

    @property
    def finish(self) -> FinishReason:
        """Tandem's finish reason for Anthropic's stop reason (refusals end as `stop`)."""
        return _FINISH.get(self.stop_reason, "stop")

    def feed(self, name: str, event: RawMessageStreamEvent) -> list[StreamEvent]:
        """Take one raw event; return the Tandem events it completes."""
        if event.type == "message_start":
            self._count(event.message.usage)
        elif event.type == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self.timer.first_token()
                self._tools[event.index] = (block.id, block.name, [])
        elif event.type == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta" and delta.text:
                self.timer.first_token()
                return [TokenDelta(text=delta.text)]
            if delta.type == "input_json_delta" and event.index in self._tools:
                self._tools[event.index][2].append(delta.partial_json)
        elif event.type == "content_block_stop":
            tool = self._tools.pop(event.index, None)
            if tool is not None:
                return [ToolCallRequested(call=_tool_call(name, *tool))]
        elif event.type == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self._count(event.usage)
        elif event.type == "message_stop":
            self.stopped = True
        return []

    def _count(self, usage: Any) -> None:
        # message_start carries the prompt counts, message_delta the running output
        # count (and sometimes updated prompt counts); the latest value wins.
        if usage.input_tokens is not None:
            self.input = usage.input_tokens
        if usage.output_tokens is not None:
            self.output = usage.output_tokens
        if usage.cache_creation_input_tokens is not None:
            self.cache_write = usage.cache_creation_input_tokens
        if usage.cache_read_input_tokens is not None:
            self.cache_read = usage.cache_read_input_tokens

    def usage(self, prices: PriceTable, model: str) -> Usage:
        """Tokens (input excludes cache reads and writes, as Anthropic counts), time, cost."""
        return Usage(
            input_tokens=self.input,
            output_tokens=self.output,
            cache_write_tokens=self.cache_write,
            cache_read_tokens=self.cache_read,
            ttft_s=self.timer.ttft_s,
            latency_s=self.timer.elapsed(),
            cost_usd=prices.cost_usd(
                model,
                self.input,
                self.output,
                cache_write_tokens=self.cache_write,
                cache_read_tokens=self.cache_read,
            ),
        )


def _tool_call(name: str, call_id: str, tool: str, parts: list[str]) -> ToolCall:
    raw = "".join(parts)
    try:
        arguments = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        raise stream_broke(name, f"the input of tool call {tool} was not valid JSON") from None
    if not isinstance(arguments, dict):
        raise stream_broke(name, f"the input of tool call {tool} was not a JSON object")
    return ToolCall(id=call_id, name=tool, arguments=arguments)


def build_messages(
    messages: Sequence[Message], *, caching: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (system blocks, turns) for the Messages API.

    System messages become one system text block. Consecutive messages of the
    same role are merged, as the API requires user and assistant to alternate.
    With `caching`, the system block is marked for the prompt cache, and then
    either the messages flagged `cache_breakpoint` (the handoff packer knows
    where its stable prefix ends) or, when none is flagged, the last block
    before the newest turn (an append-only history repeats up to there).
    Prefixes under the model's minimum length are simply not cached.
    """
    system_text = "\n\n".join(m.content for m in messages if m.role == "system" and m.content)
    system: list[dict[str, Any]] = [{"type": "text", "text": system_text}] if system_text else []
    turns: list[dict[str, Any]] = []
    marked: list[dict[str, Any]] = []  # turns whose last block ends a packer-marked prefix
    for m in messages:
        blocks = _blocks(m) if m.role != "system" else []
        if not blocks:
            continue
        if turns and turns[-1]["role"] == m.role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": m.role, "content": blocks})
        if m.cache_breakpoint:
            marked.append(turns[-1])
    for turn in turns:
        # Tool results must open the user turn that answers the tool calls.
        turn["content"].sort(key=lambda b: b["type"] != "tool_result")
    if caching:
        if system:
            system[-1]["cache_control"] = dict(_EPHEMERAL)
        if any(m.cache_breakpoint for m in messages):
            # The packer said where the stable prefix ends; a breakpoint after
            # per-question context would pay a cache write every turn for nothing.
            for turn in marked[-3:]:  # the API allows 4 breakpoints, one is the system
                turn["content"][-1]["cache_control"] = dict(_EPHEMERAL)
        elif len(turns) >= 2:
            turns[-2]["content"][-1]["cache_control"] = dict(_EPHEMERAL)
    return system, turns


def _blocks(m: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "tool_result",
            "tool_use_id": r.call_id,
            "content": r.content,
            "is_error": r.is_error,
        }
        for r in m.tool_results
    ]
    if m.role == "user":
        for att in m.attachments:
            part = load_attachment(att)
            if isinstance(part, ImagePart):
                source = {"type": "base64", "media_type": part.media_type, "data": part.data_b64}
                blocks.append({"type": "image", "source": source})
            else:
                blocks.append({"type": "text", "text": part.text})
    if m.content.strip():  # the API rejects empty text blocks
        blocks.append({"type": "text", "text": m.content})
    blocks.extend(
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in m.tool_calls
    )
    return blocks
