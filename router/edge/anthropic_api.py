"""The Anthropic Messages API routes: messages (JSON and events), count_tokens, models."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from router.edge.engine import (
    ApiError,
    Finished,
    GenerationEvent,
    Job,
    Ping,
    Started,
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
from router.edge.wire import (
    PING,
    CountTokensRequest,
    MessageResponse,
    MessagesRequest,
    MessageUsage,
    ModelInfo,
    ModelList,
    TextContent,
    TokenCount,
    new_message_id,
    sse,
    text_delta,
    to_messages,
)

log = logging.getLogger("router.edge")


def error_response(error: ApiError) -> JSONResponse:
    """An Anthropic-shaped error; overload responses say when to retry."""
    headers = {"retry-after": "1"} if error.status == 529 else None
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


class AnthropicRoutes:
    """The Anthropic-compatible routes, sharing one `EdgeState`."""

    def __init__(self, state: EdgeState, model: ModelInfo) -> None:
        self.state, self.model = state, model

    async def messages(self, request: Request) -> Response:
        """`POST /v1/messages`: validate, admit, then answer as JSON or as events."""
        state = self.state
        try:
            check_key(request, state.api_key)
            body = parse(await read_body(request, state.max_body_bytes), MessagesRequest)
            messages = to_messages(body.system, body.messages)
            input_tokens = await state.engine.check_fits(messages)
            options = state.options(body.max_tokens, body.temperature, body.top_p)
            job = Job(tuple(messages), options, tuple(body.stop_sequences))
            ticket = state.engine.gate.admit()
        except ApiError as exc:
            log.info("POST /v1/messages refused: %s %s", exc.status, exc.type)
            return error_response(exc)
        log.debug("admitted: %d in flight", state.engine.gate.inflight)
        if body.stream:
            events = self._events(state.engine.generate(ticket, job), input_tokens)
            return EventStream(events, on_close=ticket.release)
        started = time.perf_counter()
        try:
            result = await unless_disconnected(request, collect(state.engine.generate(ticket, job)))
        except Exception as exc:
            return error_response(as_api_error(exc))
        finally:
            ticket.release()
        if result is None:
            return Response(status_code=499)  # nobody is listening; never sent
        text, end = result
        log.info(
            "POST /v1/messages in=%d out=%d stop=%s %.2fs",
            input_tokens, end.output_tokens, end.stop_reason, time.perf_counter() - started,
        )  # fmt: skip
        answer = MessageResponse(
            id=new_message_id(),
            model=state.model_id,
            content=[TextContent(text=text)],
            stop_reason=end.stop_reason,
            stop_sequence=end.stop_sequence,
            usage=MessageUsage(input_tokens=input_tokens, output_tokens=end.output_tokens),
        )
        return JSONResponse(answer.model_dump())

    async def _events(
        self, generation: AsyncGenerator[GenerationEvent, None], input_tokens: int
    ) -> AsyncGenerator[bytes, None]:
        """The Anthropic event sequence; queue-time pings go before the content block."""
        started = time.perf_counter()
        message = MessageResponse(
            id=new_message_id(),
            model=self.state.model_id,
            content=[],
            stop_reason=None,
            usage=MessageUsage(input_tokens=input_tokens, output_tokens=0),
        )
        yield sse("message_start", {"type": "message_start", "message": message.model_dump()})
        try:
            async with contextlib.aclosing(generation) as events:
                async for event in events:
                    if isinstance(event, str):
                        yield text_delta(event)
                    elif isinstance(event, Ping):
                        yield PING
                    elif isinstance(event, Started):
                        block = {"type": "text", "text": ""}
                        yield sse(
                            "content_block_start",
                            {"type": "content_block_start", "index": 0, "content_block": block},
                        )
                        yield PING
                    elif isinstance(event, Finished):
                        yield from_finish(event)
                        log.info(
                            "POST /v1/messages stream in=%d out=%d stop=%s %.2fs",
                            input_tokens, event.output_tokens, event.stop_reason,
                            time.perf_counter() - started,
                        )  # fmt: skip
        except Exception as exc:
            error = as_api_error(exc)
            log.warning("generation failed: %s", error.message)
            yield sse("error", error.body())

    async def count_tokens(self, request: Request) -> Response:
        """`POST /v1/messages/count_tokens`: exact prompt tokens for this model."""
        try:
            check_key(request, self.state.api_key)
            body = parse(await read_body(request, self.state.max_body_bytes), CountTokensRequest)
            tokens = await self.state.engine.count(to_messages(body.system, body.messages))
        except ApiError as exc:
            return error_response(exc)
        return JSONResponse(TokenCount(input_tokens=tokens).model_dump())

    async def list_models(self, request: Request) -> Response:
        """`GET /v1/models`: one page with the served model."""
        try:
            check_key(request, self.state.api_key)
        except ApiError as exc:
            return error_response(exc)
        page = ModelList(data=[self.model], first_id=self.model.id, last_id=self.model.id)
        return JSONResponse(page.model_dump())

    async def get_model(self, request: Request) -> Response:
        """`GET /v1/models/{id}`: the served model, or 404 for any other id."""
        try:
            check_key(request, self.state.api_key)
            wanted = request.path_params["model_id"]
            if wanted != self.model.id:
                message = f"no model {wanted!r}; this server serves {self.model.id!r}"
                raise ApiError(404, "not_found_error", message)
        except ApiError as exc:
            return error_response(exc)
        return JSONResponse(self.model.model_dump())


def from_finish(end: Finished) -> bytes:
    """The closing events: content_block_stop, message_delta (stop reason, usage), message_stop."""
    delta = {"stop_reason": end.stop_reason, "stop_sequence": end.stop_sequence}
    return (
        sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        + sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": delta,
                "usage": {"output_tokens": end.output_tokens},
            },
        )
        + sse("message_stop", {"type": "message_stop"})
    )
