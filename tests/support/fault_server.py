"""A misbehaving Anthropic-compatible server on loopback, for resilience tests.

It speaks just enough HTTP/1.1 to answer `POST /v1/messages` with a streamed
reply, and for each request plays the next fault of its script: a good stream,
an error status (with `retry-after`), a slow first byte, a reset or a cut in the
middle of the stream, or invalid JSON in an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from dataclasses import dataclass, field
from typing import Literal

from tests.support.loopback import LoopbackHttp

Fault = Literal["ok", "429", "500", "529", "slow", "reset", "truncate", "bad_json"]

_GOOD_EVENTS = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_fault", "type": "message", "role": "assistant", "model": "fault",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 0}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "text", "text": ""}}),
    ("ping", {"type": "ping"}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "cloud "}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "answer"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                       "stop_sequence": None}, "usage": {"output_tokens": 2}}),
    ("message_stop", {"type": "message_stop"}),
]  # fmt: skip
CLOUD_TEXT = "cloud answer"


def _sse(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass
class FaultServer(LoopbackHttp):
    """Plays `script[i]` for the i-th request (the last entry repeats)."""

    script: list[Fault]
    slow_s: float = 5.0
    requests: int = 0
    bodies: list[bytes] = field(default_factory=list)

    async def answer(self, head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        """Keep the body, then play the script's next fault."""
        self.bodies.append(body)
        fault = self.script[min(self.requests, len(self.script) - 1)]
        self.requests += 1
        await self._play(fault, writer)

    async def _play(self, fault: Fault, writer: asyncio.StreamWriter) -> None:
        if fault in ("429", "500", "529"):
            error = {"type": "overloaded_error", "message": f"injected {fault}"}
            body = json.dumps({"type": "error", "error": error})
            extra = "retry-after: 1\r\n" if fault == "429" else ""
            writer.write(
                f"HTTP/1.1 {fault} Injected\r\ncontent-type: application/json\r\n{extra}"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n{body}".encode()
            )
            await writer.drain()
            return
        if fault == "slow":
            await asyncio.sleep(self.slow_s)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"cache-control: no-cache\r\nconnection: close\r\n\r\n"
        )
        events = _GOOD_EVENTS
        if fault in ("reset", "truncate", "bad_json"):
            events = _GOOD_EVENTS[:4]
        for name, data in events:
            writer.write(_sse(name, data))
        if fault == "bad_json":
            writer.write(b"event: content_block_delta\ndata: {not json\n\n")
        await writer.drain()
        if fault == "reset":
            # SO_LINGER with a zero timeout turns close() into a TCP reset.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class BlackHole:
    """A loopback listener whose accept queue is full, so new connections hang.

    Linux drops SYNs to a listener with a full backlog, so the client sees a
    connect timeout, as with an unreachable host, without leaving this machine.
    """

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.fillers: list[socket.socket] = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            self.fillers.append(filler)

    @property
    def port(self) -> int:
        """The listener's port."""
        port: int = self.listener.getsockname()[1]
        return port

    def close(self) -> None:
        """Close the listener and the connections filling its queue."""
        for sock in [*self.fillers, self.listener]:
            sock.close()
