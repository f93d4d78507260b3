"""The wire of the egress fuzz: a loopback cloud and memory server that keep every request.

`CloudRecorder` speaks Anthropic's Messages API on 127.0.0.1 (HTTP/1.1, one
request a connection): it keeps each request's bytes as they arrived (request
line, headers, body) and answers with a valid event stream. A scripted model:
offered tools and not yet given a result, it calls the first tool; otherwise it
says `CLOUD_TEXT`. `ChromaRecorder` sits in front of a real `chroma run` and
forwards every request to it after keeping its bytes.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from router.privacy.redact import PLACEHOLDER
from tests.support.loopback import LoopbackHttp

CLOUD_TEXT = "Here is the answer."
CHROMA = Path(sys.executable).parent / "chroma"


def _sse(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _block_events(block: dict[str, Any], delta: dict[str, Any]) -> list[bytes]:
    return [
        _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        ),
        _sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]


def reply_events(request: dict[str, Any], call_number: int) -> list[bytes]:
    """The scripted answer to one Messages request, as server-sent events."""
    message: dict[str, Any] = {
        "id": f"msg_{call_number}", "type": "message", "role": "assistant", "model": "fuzz",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 0},
    }  # fmt: skip
    tool = _tool_to_call(request)
    if tool is not None:
        block = {"type": "tool_use", "id": f"toolu_{call_number}", "name": tool, "input": {}}
        body = _block_events(block, {"type": "input_json_delta", "partial_json": "{}"})
        stop = "tool_use"
    else:
        block = {"type": "text", "text": ""}
        body = _block_events(block, {"type": "text_delta", "text": _answer(request)})
        stop = "end_turn"
    end = {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
           "usage": {"output_tokens": 3}}  # fmt: skip
    return [
        _sse("message_start", {"type": "message_start", "message": message}),
        *body,
        _sse("message_delta", end),
        _sse("message_stop", {"type": "message_stop"}),
    ]


def _answer(request: dict[str, Any]) -> str:
    """`CLOUD_TEXT`, then the placeholders the newest user turn holds."""
    messages = request.get("messages") or [{}]
    blocks = messages[-1].get("content", [])
    text = " ".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict))
    named = list(dict.fromkeys(m.group(0) for m in PLACEHOLDER.finditer(text)))
    return f"{CLOUD_TEXT} About {', '.join(named)}." if named else CLOUD_TEXT


def _tool_to_call(request: dict[str, Any]) -> str | None:
    """The first offered tool, unless the newest user turn already carries a tool result."""
    tools = request.get("tools") or []
    if not tools:
        return None
    messages = request.get("messages") or [{}]
    last = messages[-1].get("content", [])
    if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in last):
        return None
    return str(tools[0]["name"])


class CloudRecorder(LoopbackHttp):
    """An Anthropic-compatible server on loopback; `requests` holds each request's bytes."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    async def answer(self, head: bytes, body: bytes, writer: asyncio.StreamWriter) -> None:
        """Keep the request's bytes; stream back the reply events for it."""
        self.requests.append(head + body)
        events = reply_events(json.loads(body or b"{}"), len(self.requests))
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"cache-control: no-cache\r\nconnection: close\r\n\r\n" + b"".join(events)
        )
        await writer.drain()


class _Forward(BaseHTTPRequestHandler):
    """Keeps the request's bytes, then replays it to the real server and relays the answer."""

    protocol_version = "HTTP/1.1"
    server: ChromaRecorder

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        lines = [
            f"{self.command} {self.path} HTTP/1.1",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.server.record(head + body)
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ):
                self.send_header(key, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fuzz prints its own table."""


class ChromaRecorder(ThreadingHTTPServer):
    """A recording proxy on loopback in front of a `chroma run` on `upstream_port`."""

    daemon_threads = True

    def __init__(self, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream_port = upstream_port
        self.requests: list[bytes] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The URL to give Tandem as `memory.server_url`."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, data: bytes) -> None:
        """Keep one request's bytes (handler threads call this concurrently)."""
        with self._lock:
            self.requests.append(data)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def chroma_behind_recorder(data_dir: Path) -> Iterator[ChromaRecorder]:
    """A real `chroma run` storing in `data_dir`, reached through a `ChromaRecorder`."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_heartbeat(port, proc)
        recorder = ChromaRecorder(port)
        thread = threading.Thread(target=recorder.serve_forever, daemon=True)
        thread.start()
        try:
            yield recorder
        finally:
            recorder.shutdown()
            recorder.server_close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_heartbeat(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/v2/heartbeat")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("chroma run exited before it answered")
        if time.monotonic() > deadline:
            raise RuntimeError("chroma run did not answer in 30 s")
        time.sleep(0.1)
