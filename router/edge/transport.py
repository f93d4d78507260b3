"""HTTP plumbing both APIs share: keys, bounded bodies, JSON, event streams, disconnects."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from router.edge.engine import ApiError, Engine
from router.types import GenerationOptions

log = logging.getLogger("router.edge")
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class EdgeState:
    """What every route needs: the engine, the served model's id, the limits and defaults."""

    engine: Engine
    model_id: str
    api_key: str | None
    max_body_bytes: int
    defaults: GenerationOptions

    def options(
        self, max_tokens: int, temperature: float | None, top_p: float | None,
        seed: int | None = None,
    ) -> GenerationOptions:  # fmt: skip
        """Sampling settings: the request's values, else the server's defaults."""
        d = self.defaults
        return GenerationOptions(
            max_tokens=max_tokens,
            temperature=d.temperature if temperature is None else temperature,
            top_p=d.top_p if top_p is None else top_p,
            seed=d.seed if seed is None else seed,
        )


def check_key(request: Request, api_key: str | None) -> None:
    """Raise a 401 unless the request carries the key as `x-api-key` or a Bearer token."""
    if api_key is None:
        return
    expected = api_key.encode()
    # Starlette decodes header bytes as latin-1: encode back to compare the bytes sent.
    offered = [request.headers.get("x-api-key", "")]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        offered.append(token.strip())
    # compare_digest takes the same time wherever the strings differ; check every
    # candidate (no short-circuit) so the header used does not show in the timing.
    matches = [hmac.compare_digest(value.encode("latin-1"), expected) for value in offered]
    if not any(matches):
        # Never echo what was sent: it may be a real key meant for another server.
        raise ApiError(
            401,
            "authentication_error",
            "invalid or missing API key: send it as the x-api-key header or as "
            "Authorization: Bearer <key>",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing (413) one over `limit` bytes before reading it all."""
    too_large = ApiError(413, "request_too_large", f"the request body is larger than {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    # Count what actually arrives too: chunked bodies declare no length.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def parse(body: bytes, model: type[M]) -> M:
    """Decode a JSON object and validate it, raising a 400 that names the bad fields."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ApiError.invalid(f"the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise ApiError.invalid("the body's JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError.invalid("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError.invalid(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """Summarise validation errors as `field.path: problem`, a few at most."""
    parts = []
    for error in exc.errors(include_url=False)[:4]:
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class EventStream(Response):
    """Server-sent events whose producer is closed the moment the client leaves.

    Three tasks share one task group: a reader pulls events from the producer,
    a writer sends them, and a watcher waits for `http.disconnect`. The writer
    finishing, or the client leaving, cancels the group; the reader then closes
    the producer with `aclose()` (never left to the garbage collector), so the
    model stops within a token. `on_close` runs however the stream ends.

    Events that pile up while a write is in progress go out in one write: each
    is still a complete event, but a fast model costs one syscall per batch
    instead of one per token.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        events: AsyncGenerator[bytes, None],
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self.events, self.on_close = events, on_close
        self.status_code = 200
        self.background = None
        # no-cache and no proxy buffering: events must reach the client as they are made.
        self.init_headers({"cache-control": "no-cache", "x-accel-buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the events until they end or the client disconnects."""
        pending: list[bytes] = []
        wake = asyncio.Event()
        finished = False

        async def read() -> None:
            nonlocal finished
            try:
                async with contextlib.aclosing(self.events) as events:
                    async for chunk in events:
                        pending.append(chunk)
                        wake.set()
            finally:
                finished = True
                wake.set()

        async def write() -> None:
            with contextlib.suppress(OSError):  # ASGI 2.4 servers: sending to a gone client
                await send({"type": "http.response.start", "status": 200,
                            "headers": self.raw_headers})  # fmt: skip
                while True:
                    await wake.wait()
                    wake.clear()
                    if pending:
                        body = b"".join(pending)
                        pending.clear()
                        await send({"type": "http.response.body", "body": body, "more_body": True})
                    if finished and not pending:
                        break
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            group.cancel_scope.cancel()

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(read)
                group.start_soon(write)
                await _wait_disconnect(receive)
                log.info("client disconnected: generation stopped")
                group.cancel_scope.cancel()
        finally:
            self.on_close()


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T | None:
    """Await `work`, or cancel it and return None if the client disconnects first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_wait_disconnect(request.receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        log.info("client disconnected: generation stopped")
        return None
    return task.result()
