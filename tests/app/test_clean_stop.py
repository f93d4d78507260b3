"""A clean stop: SIGTERM and SIGINT end every front end, whatever its clients are doing.

Each test starts the real command in a subprocess with its own TANDEM_HOME, connects a client
the way users do, sends the signal and waits for the exit. Exit code 0 means the graceful stop
finished; a stop that had to be forced by the deadline (app/shutdown.py) exits 128 + the
signal's number instead, so these tests fail on a stop that only the deadline ended.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
import msgpack  # type: ignore[import-untyped]
import pytest
from flet.messaging.protocol import MessageAction
from websockets.asyncio.client import connect
from websockets.typing import Origin

from app.gui.main import free_port
from router.ledger.store import Ledger
from router.paths import resolve_paths
from tests.app.cli_support import printed_web_url, tandem_env

REPO = Path(__file__).resolve().parents[2]
STOP_WITHIN_S = 30.0
"""Generous, for a loaded machine: a graceful stop takes about a second, the deadline 5 s."""
START_WITHIN_S = 90.0
SIGNALS = pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
ENDLESS = {
    "TANDEM_GENERATION__MAX_TOKENS": "1000000",
    "TANDEM_LOCAL__N_CTX": "8192",
    "TANDEM_GENERATION__TEMPERATURE": "0",
}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Started commands; any still running after the test is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def start(
    processes: list[subprocess.Popen[bytes]], env: dict[str, str], *args: str, **kw: Any
) -> subprocess.Popen[bytes]:
    env = {**env, "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None)  # headless: no browser to open
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=REPO, env=env, **kw)
    processes.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes], sig: int) -> int:
    """Send `sig` and return the exit code; fails the test if the process outlives the bound."""
    proc.send_signal(sig)
    return proc.wait(timeout=STOP_WITHIN_S)


def wait_for_http(proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + START_WITHIN_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited early with {proc.returncode}"
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    pytest.fail(f"nothing answered at {url}")


def read_until(stream: IO[bytes], marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        chunk = stream.read(1)
        assert chunk, f"the stream ended before {marker!r}: {seen!r}"
        seen += chunk
    return seen


def register_client() -> bytes:
    """The first frame Flet's web client sends: register, asking for a new session.

    A binary frame `[0x00][msgpack [action, body]]` (flet_web's FletApp receive loop).
    """
    page = {"route": "/", "width": 1280, "height": 800, "platform": "linux", "web": True}
    body = {"session_id": "", "page_name": "", "page": page}
    packed: bytes = msgpack.packb([MessageAction.REGISTER_CLIENT.value, body])
    return b"\x00" + packed


@SIGNALS
def test_the_web_gui_stops_with_browser_websockets_open(
    tmp_path: Path, tiny_gguf: Path, processes: list[subprocess.Popen[bytes]], sig: int
) -> None:
    port = free_port()
    log = (tmp_path / "gui.log").open("wb")
    proc = start(processes, tandem_env(tmp_path, tiny_gguf), "--web", "--port", str(port),
                 stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    wait_for_http(proc, f"http://127.0.0.1:{port}/")
    link = printed_web_url((tmp_path / "gui.log").read_text())
    assert link, "no link printed"
    # Like the page's own websocket: from its origin, with the launch secret (a browser's
    # tab sends it as the cookie the link set).
    ws_url = f"ws://127.0.0.1:{port}/ws?{urlsplit(link).query}"
    origin = Origin(f"http://127.0.0.1:{port}")

    async def with_tabs_open() -> int:
        # One tab that connected but never registered (the socket Flet's own server waited
        # on forever) and one with a live session that has drawn its page.
        async with (
            connect(ws_url, origin=origin, close_timeout=1) as _silent,
            connect(ws_url, origin=origin, close_timeout=1) as tab,
        ):
            await tab.send(register_client())
            assert await asyncio.wait_for(tab.recv(), START_WITHIN_S)
            return await asyncio.to_thread(stop, proc, sig)

    assert asyncio.run(with_tabs_open()) == 0, (tmp_path / "gui.log").read_text()
    assert "Traceback" not in (tmp_path / "gui.log").read_text()


@SIGNALS
def test_a_chat_waiting_for_input_stops(
    tmp_path: Path, tiny_gguf: Path, processes: list[subprocess.Popen[bytes]], sig: int
) -> None:
    proc = start(processes, tandem_env(tmp_path, tiny_gguf), "chat", "--new",
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    read_until(proc.stdout, b"you> ")
    assert stop(proc, sig) == 0
    assert b"Traceback" not in proc.stderr.read()


def test_sigterm_mid_answer_records_the_turn_and_quits(
    tmp_path: Path, endless_gguf: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    env = tandem_env(tmp_path, endless_gguf, **ENDLESS)
    proc = start(processes, env, "chat", "--new",
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(b"go on forever\n")
    proc.stdin.flush()
    read_until(proc.stdout, b"you> " + b"!" * 10)  # streaming has begun
    # No more input: unlike Ctrl-C during an answer, SIGTERM ends the chat too.
    assert stop(proc, signal.SIGTERM) == 0
    assert "[stopped]" in proc.stderr.read().decode()
    ledger = Ledger(resolve_paths(tmp_path).ledger_file)
    [turn] = ledger.turns(ledger.sessions()[0].id)
    assert turn.status == "cancelled"
    assert turn.answer.startswith("!" * 10)
    ledger.close()


def test_the_edge_server_stops_with_an_answer_streaming(
    tmp_path: Path, endless_gguf: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    env = tandem_env(tmp_path, endless_gguf, **ENDLESS)
    proc = start(processes, env, "edge", "serve", "--port", str(port),
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for_http(proc, base + "/v1/models")
    streaming = threading.Event()

    def stream_forever() -> None:
        request = {"model": "tandem-edge", "stream": True, "max_tokens": 1_000_000,
                   "messages": [{"role": "user", "content": "go on forever"}]}  # fmt: skip
        try:
            with httpx.stream("POST", base + "/v1/chat/completions", json=request,
                              timeout=STOP_WITHIN_S) as response:  # fmt: skip
                for _ in response.iter_lines():
                    streaming.set()
        except httpx.HTTPError:
            pass  # cut off by the stop, as expected

    client = threading.Thread(target=stream_forever, daemon=True)
    client.start()
    assert streaming.wait(START_WITHIN_S)
    assert stop(proc, signal.SIGTERM) == 0
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert "edge server stopped" in err
    assert "Traceback" not in err  # the cut-off stream is in the log file, not the terminal
    client.join(timeout=STOP_WITHIN_S)


def _rpc(method: str, params: dict[str, Any] | None = None, id_: int | None = 1) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    if id_ is not None:
        message["id"] = id_
    return (json.dumps(message) + "\n").encode()


INITIALIZE = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "test", "version": "1"},
}


@SIGNALS
def test_mcp_over_stdio_stops_with_its_client_connected(
    tmp_path: Path, tiny_gguf: Path, processes: list[subprocess.Popen[bytes]], sig: int
) -> None:
    proc = start(processes, tandem_env(tmp_path, tiny_gguf), "mcp", "serve",
                 "--servers", "sensors,assistant",
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(_rpc("initialize", INITIALIZE))
    proc.stdin.flush()
    assert b'"id":1' in proc.stdout.readline()
    proc.stdin.write(_rpc("notifications/initialized", id_=None))
    proc.stdin.flush()
    # The client keeps stdin open: the SDK's reader thread stays blocked on it.
    assert stop(proc, sig) == 0


def test_mcp_over_http_stops_with_an_event_stream_open(
    tmp_path: Path, tiny_gguf: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    port = free_port()
    env = tandem_env(tmp_path, tiny_gguf)
    proc = start(processes, env, "mcp", "serve", "--transport", "http", "--port", str(port),
                 "--servers", "sensors",
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    url = f"http://127.0.0.1:{port}/mcp"
    wait_for_http(proc, url)
    from mcp_servers.http_serve import load_or_create_token

    token = load_or_create_token(resolve_paths(tmp_path))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    with httpx.Client(timeout=STOP_WITHIN_S) as client:
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INITIALIZE}
        response = client.post(url, headers=headers, json=init)
        assert response.status_code == 200, response.text
        headers["mcp-session-id"] = response.headers["mcp-session-id"]
        client.post(url, headers=headers,
                    json={"jsonrpc": "2.0", "method": "notifications/initialized"})  # fmt: skip
        opened = threading.Event()

        def listen() -> None:
            try:
                with client.stream("GET", url, headers={**headers, "Accept": "text/event-stream"}
                                   ) as events:  # fmt: skip
                    opened.set()
                    for _ in events.iter_lines():
                        pass
            except httpx.HTTPError:
                pass

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert opened.wait(START_WITHIN_S)
        assert stop(proc, signal.SIGTERM) == 0
        listener.join(timeout=STOP_WITHIN_S)
