"""What the edge server does between HTTP and the model, whatever the protocol.

The model runs one generation at a time. The `Gate` admits at most
`max_queue` requests waiting behind the running one and refuses the rest at
once (the API's 529 "overloaded"), so a busy box answers quickly instead of
piling up work nobody will wait for. Waiting requests are served in arrival
order, and a request whose client leaves gives up its place immediately.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Literal

from router.endpoints.base import Endpoint, StreamEnd, TokenDelta
from router.errors import PromptTooLongError
from router.types import GenerationOptions, Message

ErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "not_found_error",
    "request_too_large",
    "overloaded_error",
    "api_error",
]
StopReason = Literal["end_turn", "max_tokens", "stop_sequence"]


class ApiError(Exception):
    """A request the server refuses: an HTTP status, an Anthropic error type, a message."""

    def __init__(self, status: int, type: ErrorType, message: str) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type, message

    @classmethod
    def invalid(cls, message: str) -> ApiError:
        """A 400 `invalid_request_error`."""
        return cls(400, "invalid_request_error", message)

    def body(self) -> dict[str, object]:
        """The error in Anthropic's JSON shape."""
        return {"type": "error", "error": {"type": self.type, "message": self.message}}


class Gate:
    """One generation at a time, at most `max_queue` waiting, first come first served."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self.inflight = 0
        """Requests admitted and not yet finished: the running one plus those waiting."""
        self._running = False
        self._waiters: deque[asyncio.Future[None]] = deque()

    def admit(self) -> Ticket:
        """Return a place in line, or raise a 529 `ApiError` when the line is full."""
        if self.inflight > self.max_queue:
            raise ApiError(
                529,
                "overloaded_error",
                f"the edge server is busy: one request is running and {self.max_queue} are "
                "waiting; try again shortly",
            )
        self.inflight += 1
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._running:
            self._waiters.append(turn)
        else:
            self._running = True
            turn.set_result(None)
        return Ticket(self, turn)

    def _hand_over(self) -> None:
        # Skip places whose client already left (their futures were cancelled).
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._running = False


class Ticket:
    """A request's place in the `Gate`: wait for `turn`, then `release()` exactly once."""

    def __init__(self, gate: Gate, turn: asyncio.Future[None]) -> None:
        self._gate, self.turn, self._released = gate, turn, False

    def release(self) -> None:
        """Give the model to the next request, or leave the line.

        Synchronous, so it is safe in the `finally` blocks of cancelled tasks.
        """
        if self._released:
            return
        self._released = True
        self._gate.inflight -= 1
        if self.turn.done() and not self.turn.cancelled():
            self._gate._hand_over()
        else:
            self.turn.cancel()


class StopScanner:
    """Cuts streamed text before the first stop sequence.

    Text that could be the start of a stop sequence is held back until the next
    piece shows whether it is one, so a stop string split over tokens is found
    and never shown.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self._hold = max((len(s) for s in self.stops), default=1) - 1
        self._buffer = ""

    def feed(self, text: str) -> tuple[str, str | None]:
        """Return the text safe to show now, and the stop sequence if one was reached."""
        if not self.stops:
            return text, None
        self._buffer += text
        hits = [(i, s) for s in self.stops if (i := self._buffer.find(s)) >= 0]
        if hits:
            index, stop = min(hits)
            out, self._buffer = self._buffer[:index], ""
            return out, stop
        safe = max(len(self._buffer) - self._hold, 0)
        out, self._buffer = self._buffer[:safe], self._buffer[safe:]
        return out, None

    def flush(self) -> str:
        """Return the held-back text once generation ended without a stop sequence."""
        out, self._buffer = self._buffer, ""
        return out


class Ping:
    """Still waiting for the model: protocols send a keep-alive."""


class Started:
    """The request got the model; generation begins."""


@dataclass(frozen=True)
class Finished:
    """Generation is over."""

    output_tokens: int
    stop_reason: StopReason
    stop_sequence: str | None = None


GenerationEvent = Ping | Started | str | Finished


@dataclass(frozen=True)
class Job:
    """One validated generation request, in the router's terms."""

    messages: tuple[Message, ...]
    options: GenerationOptions
    stop_sequences: tuple[str, ...] = ()


class Engine:
    """Counts, admits and runs generations on one endpoint."""

    def __init__(
        self, endpoint: Endpoint, *, max_queue: int = 8, ping_interval_s: float = 10.0
    ) -> None:
        self.endpoint = endpoint
        self.gate = Gate(max_queue)
        self.ping_interval_s = ping_interval_s

    async def count(self, messages: Sequence[Message]) -> int:
        """Prompt tokens with the model's tokenizer and chat template, off the event loop."""
        return await asyncio.to_thread(self.endpoint.count_tokens, messages)

    async def check_fits(self, messages: Sequence[Message]) -> int:
        """Return the prompt's tokens, or raise a 400 when it leaves no room to answer."""
        tokens = await self.count(messages)
        window = self.endpoint.context_window
        if tokens >= window:
            raise ApiError.invalid(
                f"prompt is too long: {tokens} tokens > {window - 1} maximum (the model's "
                f"context window is {window} tokens, and the answer needs at least one)"
            )
        return tokens

    async def generate(self, ticket: Ticket, job: Job) -> AsyncGenerator[GenerationEvent, None]:
        """Wait for the model (yielding `Ping`s), then yield `Started`, text and `Finished`.

        Closing this generator (a client left) releases the ticket and closes the
        endpoint's stream, which stops the model within a token.
        """
        try:
            while not ticket.turn.done():
                # asyncio.wait leaves the future alone on timeout: our place is kept.
                await asyncio.wait({ticket.turn}, timeout=self.ping_interval_s)
                if not ticket.turn.done():
                    yield Ping()
            yield Started()
            scanner = StopScanner(job.stop_sequences)
            deltas = 0
            stream = self.endpoint.stream(job.messages, job.options)
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    if isinstance(event, TokenDelta):
                        deltas += 1
                        text, stop = scanner.feed(event.text)
                        if text:
                            yield text
                        if stop is not None:
                            yield Finished(deltas, "stop_sequence", stop)
                            return
                    elif isinstance(event, StreamEnd):
                        tail = scanner.flush()
                        if tail:
                            yield tail
                        reason: StopReason = (
                            "max_tokens" if event.finish_reason == "length" else "end_turn"
                        )
                        yield Finished(event.usage.output_tokens, reason)
                        return
        finally:
            ticket.release()


async def collect(events: AsyncGenerator[GenerationEvent, None]) -> tuple[str, Finished]:
    """Run a generation to the end and return its whole text and how it finished."""
    parts: list[str] = []
    async with contextlib.aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, str):
                parts.append(event)
            elif isinstance(event, Finished):
                return "".join(parts), event
    raise ApiError(500, "api_error", "the model stopped without finishing its answer")


def as_api_error(exc: Exception) -> ApiError:
    """Map what a generation raised to the error the client sees."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, PromptTooLongError):
        return ApiError.invalid(str(exc))
    return ApiError(500, "api_error", f"the model failed: {type(exc).__name__}: {exc}")
