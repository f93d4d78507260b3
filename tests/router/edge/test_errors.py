"""Refusals in Anthropic's error shape: bad bodies, big bodies, unknown routes, a full queue."""

from __future__ import annotations

import logging
from pathlib import Path

import anthropic
import httpx
import pytest

from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.llama_faults import ENV
from router.endpoints.llama_model import unload_all
from tests.router.edge.conftest import StartServer
from tests.router.edge.support import HELLO, KEY, sse_events

AUTH = {"x-api-key": KEY}


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == kind
    message: str = body["error"]["message"]
    return message


def test_malformed_json_is_a_400(tiny_url: str) -> None:
    response = httpx.post(f"{tiny_url}/v1/messages", content=b"{not json", headers=AUTH)
    assert "not valid JSON" in _error(response, 400, "invalid_request_error")
    response = httpx.post(f"{tiny_url}/v1/messages", content=b"[1, 2]", headers=AUTH)
    assert "JSON object" in _error(response, 400, "invalid_request_error")


def test_invalid_fields_are_named(tiny_url: str) -> None:
    url = f"{tiny_url}/v1/messages"
    missing = httpx.post(url, json={"model": "m", "messages": HELLO}, headers=AUTH)
    assert _error(missing, 400, "invalid_request_error").startswith("max_tokens: Field required")
    hot = {"model": "m", "max_tokens": 5, "messages": HELLO, "temperature": 7}
    assert "temperature" in _error(httpx.post(url, json=hot, headers=AUTH), 400,
                                   "invalid_request_error")  # fmt: skip
    no_messages = {"model": "m", "max_tokens": 5, "messages": []}
    assert "messages" in _error(httpx.post(url, json=no_messages, headers=AUTH), 400,
                                "invalid_request_error")  # fmt: skip
    bad_block = {"model": "m", "max_tokens": 5,
                 "messages": [{"role": "user", "content": [{"type": "text"}]}]}  # fmt: skip
    assert "messages.0.content.0" in _error(httpx.post(url, json=bad_block, headers=AUTH), 400,
                                            "invalid_request_error")  # fmt: skip


def test_bodies_over_the_limit_are_a_413(start_server: StartServer) -> None:
    url = start_server(max_body_bytes=64 << 10) + "/v1/messages"
    big = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 70_000}]}
    _error(httpx.post(url, json=big, headers=AUTH), 413, "request_too_large")

    def chunked():  # no Content-Length: the server counts what arrives
        for _ in range(20):
            yield b"x" * 4096

    _error(httpx.post(url, content=chunked(), headers=AUTH), 413, "request_too_large")
    small = {"model": "m", "max_tokens": 2, "messages": HELLO}
    assert httpx.post(url, json=small, headers=AUTH).status_code == 200


def test_unknown_routes_and_methods(tiny_url: str) -> None:
    _error(httpx.get(f"{tiny_url}/v1/nothing", headers=AUTH), 404, "not_found_error")
    _error(httpx.get(f"{tiny_url}/v1/messages", headers=AUTH), 405, "invalid_request_error")


def test_the_key_is_never_logged_nor_echoed(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = start_server()
    wrong = "wrong-key-also-secret-93c1"
    bodies = [
        httpx.post(f"{url}/v1/messages", json={"model": "m", "max_tokens": 3, "messages": HELLO},
                   headers=AUTH).text,
        httpx.post(f"{url}/v1/messages", json={"model": "m", "max_tokens": 3, "messages": HELLO,
                   "stream": True}, headers={"authorization": f"Bearer {KEY}"}).text,
        httpx.post(f"{url}/v1/messages", json={"model": "m"}, headers=AUTH).text,
        httpx.get(f"{url}/v1/models", headers={"x-api-key": wrong}).text,
        httpx.post(f"{url}/v1/chat/completions", json={"model": "m", "messages": HELLO},
                   headers={"authorization": f"Bearer {wrong}"}).text,
        httpx.get(f"{url}/v1/nothing?x={KEY[:4]}", headers=AUTH).text,
    ]  # fmt: skip
    assert '"POST /v1/messages HTTP/1.1" 200' in caplog.text  # the server's logs were captured
    assert "authentication_error" in bodies[3]
    for secret in (KEY, wrong):
        assert secret not in caplog.text
        assert all(secret not in body for body in bodies)


async def test_a_full_queue_answers_529(
    start_server: StartServer,
    endless_gguf: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hold the model: the worker waits before decoding while this file exists.
    hold = tmp_path / "hold"
    hold.touch()
    monkeypatch.setenv(ENV, f"hold:{hold}")
    unload_all()  # a worker started before would not see the fault
    endpoint = LlamaCppEndpoint(endless_gguf, n_ctx=1024, extra_buffers="off")
    url = start_server(endpoint, max_queue=1, ping_interval_s=0.02)
    client = anthropic.AsyncAnthropic(base_url=url, api_key=KEY, max_retries=0)
    await endpoint.prepare()
    held = True
    try:
        async with client.messages.stream(model="m", max_tokens=5, messages=HELLO) as first:
            while (await first.__anext__()).type != "content_block_start":
                pass  # the first request has the model now
            async with (
                httpx.AsyncClient(timeout=60) as http,
                http.stream("POST", f"{url}/v1/messages", headers=AUTH,
                            json={"model": "m", "max_tokens": 5, "messages": HELLO,
                                  "stream": True}) as second,
            ):  # fmt: skip
                events = sse_events(second)
                assert (await anext(events))[0] == "message_start"  # admitted, waiting
                assert (await anext(events))[0] == "ping"  # kept alive while it waits

                with pytest.raises(anthropic.APIStatusError) as caught:
                    await client.messages.create(model="m", max_tokens=5, messages=HELLO)
                assert caught.value.status_code == 529
                assert caught.value.body["error"]["type"] == "overloaded_error"
                assert caught.value.response.headers["retry-after"] == "1"
                openai = await http.post(
                    f"{url}/v1/chat/completions", headers=AUTH,
                    json={"model": "m", "messages": HELLO, "max_tokens": 5},
                )  # fmt: skip
                assert openai.status_code == 503 and "busy" in openai.json()["error"]["message"]

                hold.unlink()
                held = False
                rest = [(name, data) async for name, data in events if name != "ping"]
            final = await first.get_final_message()
    finally:
        if held:
            hold.unlink()
    text = "".join(d["delta"]["text"] for name, d in rest if name == "content_block_delta")
    assert text == "!!!!!" and rest[-1][0] == "message_stop"
    assert final.content[0].text == "!!!!!"
    # Both finished, so the queue is empty again.
    again = await client.messages.create(model="m", max_tokens=2, messages=HELLO)
    assert again.content[0].text == "!!"


async def test_a_worker_crash_costs_one_request(
    start_server: StartServer, tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = tmp_path / "crash"
    monkeypatch.setenv(ENV, f"segv-once:{crash}")
    unload_all()  # the worker must start with the fault plan
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=1024, extra_buffers="off")
    url = start_server(endpoint)
    client = anthropic.AsyncAnthropic(base_url=url, api_key=KEY, max_retries=0)
    before = await client.messages.create(model="m", max_tokens=4, messages=HELLO)

    crash.touch()
    with pytest.raises(anthropic.APIStatusError) as caught:
        await client.messages.create(model="m", max_tokens=4, messages=HELLO)
    assert caught.value.status_code >= 500
    assert "SIGSEGV" in str(caught.value.body)

    after = await client.messages.create(model="m", max_tokens=4, messages=HELLO)
    assert after.content[0].text == before.content[0].text  # greedy: the same answer
    unload_all()
