"""OpenAI-compatible chat completions (Ollama, llama.cpp server, vLLM, ...), over httpx.

No SDK: one streaming `POST {base_url}/chat/completions`, read as server-sent
events until `data: [DONE]`. Text deltas become `TokenDelta`s, streamed
`tool_calls` fragments are assembled into `ToolCallRequested` events, and the
final usage chunk (asked for with `stream_options.include_usage`) becomes the
`StreamEnd`'s usage.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

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
    load_attachment,
    parse_retry_after,
    status_error,
    stream_broke,
)
from router.endpoints.settings import RemoteEndpointSettings
from router.endpoints.tool_specs import openai_tools
from router.errors import ConfigError, EndpointError
from router.privacy.guard import EgressPolicy, guarded_httpx_client
from router.tokens import tokens_in_chars
from router.types import GenerationOptions, Message, ToolCall, ToolSpec, Usage

log = logging.getLogger(__name__)

_FINISH: Mapping[str | None, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
}


class OpenAICompatEndpoint(Endpoint):
    """Streams answers from a server that speaks OpenAI's chat completions protocol."""

    def __init__(
        self,
        settings: RemoteEndpointSettings,
        *,
        api_key: str | None,
        prices: PriceTable,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
        close_client: bool = False,
    ) -> None:
        if not settings.base_url:
            # No default on purpose: guessing a local server's address would send
            # prompts to whatever happens to listen there.
            raise ConfigError(
                f'endpoint {settings.name} uses api = "openai" but has no base_url',
                'add base_url to its [[endpoints]] entry, e.g. "http://127.0.0.1:11434/v1"',
            )
        self.name = settings.name
        self.kind = settings.kind
        self.mine = settings.mine
        self.settings = settings
        self._api_key = api_key
        self._prices = prices
        self._url = settings.base_url.rstrip("/") + "/chat/completions"
        self._timeout = httpx.Timeout(
            connect=connect_timeout_s,
            read=read_timeout_s,
            write=read_timeout_s,
            pool=connect_timeout_s,
        )
        # A client made here is closed here; a given one only when `close_client`
        # hands it over (the registry builds guarded clients nobody else holds).
        self._owns_http = http_client is None or close_client
        # Built without a client (tests, tools), it still leaves by the guard's factory.
        self._http = http_client or guarded_httpx_client(
            EgressPolicy(), settings.name, timeout=self._timeout, zone=self.zone
        )

    @property
    def context_window(self) -> int:
        """The context window from the endpoint's settings."""
        return self.settings.context_window

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Return the USD price of a call, from the price table."""
        return self._prices.cost_usd(self.settings.model, input_tokens, output_tokens)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Estimate prompt tokens: these servers offer no standard counting call."""
        return estimate_prompt_tokens(messages)

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream the answer; see `Endpoint.stream`."""
        body = self._body(messages, options, tools)
        headers = {"Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        log.debug("%s: sending %d messages to %s", self.name, len(messages), self._url)
        timer = Timer()
        state = _ChunkState(timer)
        responded = False
        try:
            async with self._http.stream(
                "POST", self._url, json=body, headers=headers, timeout=self._timeout
            ) as response:
                responded = True
                if response.status_code >= 400:
                    await response.aread()
                    raise self._status_error(response)
                async for line in response.aiter_lines():
                    payload = _sse_data(line)
                    if payload is None:
                        continue
                    if payload == "[DONE]":
                        state.done = True
                        break
                    for out in state.feed(self.name, json.loads(payload)):
                        yield out
        except httpx.TimeoutException as exc:
            connect = isinstance(exc, httpx.ConnectTimeout)
            raise connection_error(self.name, exc, connect_failed=connect, timed_out=True) from None
        except httpx.TransportError as exc:
            if responded:
                raise stream_broke(self.name, type(exc).__name__) from None
            connect = connect_failed(exc, (httpx.ConnectError,))
            raise connection_error(
                self.name, exc, connect_failed=connect, timed_out=False
            ) from None
        except json.JSONDecodeError:
            raise stream_broke(self.name, "an event was not valid JSON") from None
        if not state.done:
            raise stream_broke(self.name, "it ended before [DONE]")
        for call in state.tool_calls(self.name):
            yield ToolCallRequested(call=call)
        yield StreamEnd(usage=self._usage(state, messages), finish_reason=state.finish)

    def _body(
        self, messages: Sequence[Message], options: GenerationOptions, tools: Sequence[ToolSpec]
    ) -> dict[str, Any]:
        """The streaming chat-completions request body."""
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": build_messages(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            # `max_tokens`, not OpenAI's newer `max_completion_tokens`: the compatible
            # servers this targets (Ollama, llama.cpp, vLLM) all read `max_tokens`.
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
        }
        if options.seed is not None:
            body["seed"] = options.seed
        if tools:
            body["tools"] = openai_tools(tools)
        return body

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was lent to us."""
        if self._owns_http:
            await self._http.aclose()

    def _status_error(self, response: httpx.Response) -> EndpointError:
        try:
            body = response.json()
        except ValueError:
            body = None
        error_type, detail = error_detail(body, response.text[:500])
        return status_error(
            self.name,
            response.status_code,
            f"{error_type}: {detail}",
            retry_after_s=parse_retry_after(response.headers),
            secrets=(self._api_key,),
        )

    def _usage(self, state: _ChunkState, messages: Sequence[Message]) -> Usage:
        usage = state.usage
        if usage is not None:
            prompt = int(usage.get("prompt_tokens") or 0)
            details = usage.get("prompt_tokens_details")
            cached = int((details or {}).get("cached_tokens") or 0)
            # Reported like Anthropic's counts: `input_tokens` leaves out cache reads.
            n_in, n_out = max(0, prompt - cached), int(usage.get("completion_tokens") or 0)
        else:
            # Some servers ignore `stream_options` and send no usage: estimate, at
            # about four characters a token, so budgets still see something.
            n_in, n_out = estimate_prompt_tokens(messages), tokens_in_chars(state.text_chars)
            cached = 0
        return Usage(
            input_tokens=n_in,
            output_tokens=n_out,
            cache_read_tokens=cached,
            ttft_s=state.timer.ttft_s,
            latency_s=state.timer.elapsed(),
            cost_usd=self._prices.cost_usd(
                self.settings.model, n_in, n_out, cache_read_tokens=cached
            ),
        )


def _sse_data(line: str) -> str | None:
    """The payload of an SSE `data:` line; None for blank lines, comments and other fields."""
    if not line.startswith("data:"):
        return None
    return line[5:].strip()


@dataclass
class _ToolDraft:
    """A tool call being streamed: its id, name and argument fragments so far."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class _ChunkState:
    """Folds streamed chunks into text deltas, tool calls, a finish reason and usage."""

    def __init__(self, timer: Timer) -> None:
        self.timer = timer
        self.done = False
        self.text_chars = 0
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self._tools: dict[int, _ToolDraft] = {}

    @property
    def finish(self) -> FinishReason:
        """Tandem's finish reason; any tool call means `tool_use`, whatever the server said."""
        return "tool_use" if self._tools else _FINISH.get(self.finish_reason, "stop")

    def feed(self, name: str, chunk: Any) -> list[StreamEvent]:
        """Take one parsed chunk; return the text deltas it carries."""
        if not isinstance(chunk, dict):
            raise stream_broke(name, "an event was not a JSON object")
        if chunk.get("error"):
            # Some servers report a failure mid-stream as an `error` chunk.
            raise stream_broke(name, f"the server reported an error: {chunk['error']}")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        out: list[StreamEvent] = []
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                self.timer.first_token()
                self.text_chars += len(text)
                out.append(TokenDelta(text=text))
            for fragment in delta.get("tool_calls") or []:
                self.timer.first_token()
                draft = self._tools.setdefault(fragment.get("index", 0), _ToolDraft())
                function = fragment.get("function") or {}
                # The id and name come in the first fragment; some servers repeat them.
                draft.id = draft.id or fragment.get("id") or ""
                draft.name = draft.name or function.get("name") or ""
                draft.arguments.append(function.get("arguments") or "")
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return out

    def tool_calls(self, name: str) -> list[ToolCall]:
        """The assembled tool calls, in the order the model made them."""
        calls = []
        for index, draft in sorted(self._tools.items()):
            raw = "".join(draft.arguments)
            try:
                arguments = json.loads(raw) if raw.strip() else {}
            except json.JSONDecodeError:
                raise stream_broke(name, "a tool call's arguments were not valid JSON") from None
            if not isinstance(arguments, dict):
                raise stream_broke(name, "a tool call's arguments were not a JSON object")
            # A server that sends no id gets a stable stand-in, to link the result.
            call_id = draft.id or f"call_{index}"
            calls.append(ToolCall(id=call_id, name=draft.name, arguments=arguments))
        return calls


def build_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Tandem messages as chat completion messages.

    Tool results become `tool` messages ahead of the user's text; attachments
    become content parts (images as `data:` URLs, text files inlined).
    """
    out: list[dict[str, Any]] = []
    for m in messages:
        for r in m.tool_results:
            content = f"Error: {r.content}" if r.is_error else r.content
            out.append({"role": "tool", "tool_call_id": r.call_id, "content": content})
        if m.role == "assistant" and m.tool_calls:
            calls = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for c in m.tool_calls
            ]
            out.append({"role": "assistant", "content": m.content or None, "tool_calls": calls})
        elif m.role == "user" and m.attachments:
            parts: list[dict[str, Any]] = []
            for att in m.attachments:
                part = load_attachment(att)
                if isinstance(part, ImagePart):
                    url = f"data:{part.media_type};base64,{part.data_b64}"
                    parts.append({"type": "image_url", "image_url": {"url": url}})
                else:
                    parts.append({"type": "text", "text": part.text})
            if m.content:
                parts.append({"type": "text", "text": m.content})
            out.append({"role": "user", "content": parts})
        elif m.content or not m.tool_results:
            out.append({"role": m.role, "content": m.content})
    return out
