"""`POST /v1/chat/completions`: the OpenAI chat API on the same model and queue.

So any OpenAI-compatible client (point it at `http://host:port/v1`) can use the
edge box. Text only, one choice (`n` must be 1), tools ignored; `stop`,
`seed` and `stream_options.include_usage` are honoured. Errors use OpenAI's
shape; a full queue answers 503 (OpenAI has no 529) with `retry-after`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncGenerator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from router.edge.engine import (
    ApiError,
    Finished,
    GenerationEvent,
    Job,
    Ping,
    StopReason,
    as_api_error,
    collect,
)
from router.edge.transport import (
    EdgeState,
    EventStream,
    check_key,
    parse,
    read_body,
    unless_disconnected,
)
from router.types import Message, Role

log = logging.getLogger("router.edge")
_FINISH: dict[StopReason, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
}
_ROLES: dict[str, Role] = {
    "system": "system", "developer": "system", "user": "user", "tool": "user",
    "assistant": "assistant",
}  # fmt: skip


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")  # unknown OpenAI options are ignored


class ContentPart(_Lenient):
    """One part of a message's content; only `text` parts are accepted."""

    type: str = Field(description="`text`; `image_url`, `input_audio` and `file` are refused.")
    text: str = Field(default="", description="The text of a `text` part.")


class ChatMessage(_Lenient):
    """One chat message."""

    role: Literal["system", "developer", "user", "assistant", "tool"] = Field(
        description="Who wrote it; `developer` counts as system, `tool` as a user-side result."
    )
    content: str | list[ContentPart] | None = Field(default=None, description="The text.")
    tool_calls: list[dict[str, Any]] | None = Field(
        default=None, description="An earlier assistant turn's tool calls, shown as text."
    )


class StreamOptions(_Lenient):
    """Options for streamed answers."""

    include_usage: bool = Field(default=False, description="Send a last chunk with usage.")


class ChatRequest(_Lenient):
    """Body of `POST /v1/chat/completions`."""

    model: str = Field(description="Any name: the server has one model and uses it.")
    messages: list[ChatMessage] = Field(min_length=1, description="The conversation.")
    max_completion_tokens: int | None = Field(default=None, ge=1, description="Most tokens.")
    max_tokens: int | None = Field(default=None, ge=1, description="Older name of the same.")
    temperature: float | None = Field(default=None, ge=0, le=2, description="Temperature.")
    top_p: float | None = Field(default=None, gt=0, le=1, description="Nucleus sampling mass.")
    seed: int | None = Field(default=None, description="Sampling seed.")
    stop: str | list[str] | None = Field(default=None, description="Stop sequences.")
    stream: bool = Field(default=False, description="Answer as server-sent events.")
    stream_options: StreamOptions | None = Field(default=None, description="Stream options.")
    n: int = Field(default=1, ge=1, le=1, description="Number of choices: only 1.")


def _text(message: ChatMessage, where: str) -> str:
    parts: list[str] = []
    if isinstance(message.content, str):
        parts.append(message.content)
    for i, part in enumerate(message.content if isinstance(message.content, list) else []):
        if part.type != "text":
            raise ApiError.invalid(
                f"{where}.content.{i}: {part.type} parts are not supported: this model reads "
                "text only"
            )
        parts.append(part.text)
    for call in message.tool_calls or []:
        function = call.get("function") or {}
        parts.append(f"[called tool {function.get('name')} with {function.get('arguments')}]")
    text = "\n\n".join(p for p in parts if p)
    return f"[tool result: {text}]" if message.role == "tool" else text


def to_messages(messages: list[ChatMessage]) -> list[Message]:
    """Flatten OpenAI messages into the router's, merging consecutive same-role turns."""
    out: list[Message] = []
    for i, message in enumerate(messages):
        role = _ROLES[message.role]
        text = _text(message, f"messages.{i}")
        if out and out[-1].role == role:
            out[-1] = Message(role=out[-1].role, content=f"{out[-1].content}\n\n{text}")
        else:
            out.append(Message(role=role, content=text))
    return out


def error_response(error: ApiError) -> JSONResponse:
    """An error in OpenAI's shape."""
    status = 503 if error.status == 529 else error.status
    body = {"error": {"message": error.message, "type": error.type, "param": None, "code": None}}
    headers = {"retry-after": "1"} if status == 503 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _chunk(base: dict[str, Any], **fields: Any) -> bytes:
    data = json.dumps({**base, **fields}, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


class ChatCompletions:
    """The OpenAI-compatible route, sharing the Anthropic routes' engine and queue."""

    def __init__(self, state: EdgeState) -> None:
        self.state = state

    async def handle(self, request: Request) -> Response:
        """`POST /v1/chat/completions`: validate, admit, then answer as JSON or chunks."""
        state = self.state
        try:
            check_key(request, state.api_key)
            body = parse(await read_body(request, state.max_body_bytes), ChatRequest)
            messages = to_messages(body.messages)
            input_tokens = await state.engine.check_fits(messages)
            max_tokens = body.max_completion_tokens or body.max_tokens
            options = state.options(
                max_tokens or state.defaults.max_tokens, body.temperature, body.top_p, body.seed
            )
            stops = [body.stop] if isinstance(body.stop, str) else body.stop or []
            job = Job(tuple(messages), options, tuple(stops))
            ticket = state.engine.gate.admit()
        except ApiError as exc:
            log.info("POST /v1/chat/completions refused: %s %s", exc.status, exc.type)
            return error_response(exc)
        base = {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "created": int(time.time()),
            "model": state.model_id,
        }
        if body.stream:
            usage = bool(body.stream_options and body.stream_options.include_usage)
            events = self._chunks(state.engine.generate(ticket, job), base, input_tokens, usage)
            return EventStream(events, on_close=ticket.release)
        try:
            generation = collect(state.engine.generate(ticket, job))
            result = await unless_disconnected(request, generation)
        except Exception as exc:
            return error_response(as_api_error(exc))
        finally:
            ticket.release()
        if result is None:
            return Response(status_code=499)  # the client left; never sent
        text, end = result
        log.info("POST /v1/chat/completions in=%d out=%d", input_tokens, end.output_tokens)
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": _FINISH[end.stop_reason],
            "logprobs": None,
        }
        answer = {
            **base,
            "object": "chat.completion",
            "choices": [choice],
            "usage": _usage(input_tokens, end),
        }
        return JSONResponse(answer)

    async def _chunks(
        self,
        generation: AsyncGenerator[GenerationEvent, None],
        base: dict[str, Any],
        input_tokens: int,
        include_usage: bool,
    ) -> AsyncGenerator[bytes, None]:
        """OpenAI chunks: role, content deltas, finish reason, [usage], `[DONE]`."""
        base = {**base, "object": "chat.completion.chunk"}
        if include_usage:
            base["usage"] = None  # as OpenAI does: null on every chunk but the last

        def choice(delta: dict[str, str], finish: str | None = None) -> list[dict[str, Any]]:
            return [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]

        yield _chunk(base, choices=choice({"role": "assistant", "content": ""}))
        try:
            async with contextlib.aclosing(generation) as events:
                async for event in events:
                    if isinstance(event, str):
                        yield _chunk(base, choices=choice({"content": event}))
                    elif isinstance(event, Ping):
                        yield b": ping\n\n"  # an SSE comment: clients skip it
                    elif isinstance(event, Finished):
                        yield _chunk(base, choices=choice({}, _FINISH[event.stop_reason]))
                        if include_usage:
                            yield _chunk(base, choices=[], usage=_usage(input_tokens, event))
        except Exception as exc:
            error = as_api_error(exc)
            log.warning("generation failed: %s", error.message)
            yield _chunk({"error": {"message": error.message, "type": error.type}})
        yield b"data: [DONE]\n\n"


def _usage(input_tokens: int, end: Finished) -> dict[str, int]:
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": end.output_tokens,
        "total_tokens": input_tokens + end.output_tokens,
    }
