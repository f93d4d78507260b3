"""The OpenAI chat completions route, with plain httpx as an OpenAI-compatible client would."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from router.endpoints.llama_cpp import LlamaCppEndpoint
from tests.router.edge.conftest import StartServer
from tests.router.edge.support import HELLO, KEY

BEARER = {"authorization": f"Bearer {KEY}"}


@pytest.fixture
def endless_url(start_server: StartServer, endless_gguf: Path) -> str:
    return start_server(LlamaCppEndpoint(endless_gguf, n_ctx=1024))


def _chunks(response: httpx.Response) -> list[dict[str, object] | str]:
    out: list[dict[str, object] | str] = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            data = line.removeprefix("data: ")
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def test_non_streaming_completion(endless_url: str) -> None:
    body = {"model": "any", "messages": [{"role": "system", "content": "hi"}, *HELLO],
            "max_tokens": 6}  # fmt: skip
    answer = httpx.post(f"{endless_url}/v1/chat/completions", json=body, headers=BEARER).json()
    assert answer["object"] == "chat.completion" and answer["id"].startswith("chatcmpl-")
    choice = answer["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "!!!!!!"}
    assert choice["finish_reason"] == "length"
    usage = answer["usage"]
    assert usage["completion_tokens"] == 6
    assert usage["total_tokens"] == usage["prompt_tokens"] + 6 and usage["prompt_tokens"] > 0


def test_streaming_completion_with_usage(endless_url: str) -> None:
    body = {"model": "any", "messages": HELLO, "max_completion_tokens": 5, "stream": True,
            "stream_options": {"include_usage": True}}  # fmt: skip
    with httpx.stream("POST", f"{endless_url}/v1/chat/completions", json=body,
                      headers=BEARER) as response:  # fmt: skip
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = _chunks(response)
    assert chunks[-1] == "[DONE]"
    data = [c for c in chunks if isinstance(c, dict)]
    assert all(c["object"] == "chat.completion.chunk" for c in data)
    assert data[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in data if c["choices"])
    assert text == "!!!!!"
    assert data[-2]["choices"][0]["finish_reason"] == "length"
    assert data[-1]["choices"] == [] and data[-1]["usage"]["completion_tokens"] == 5
    assert all(c["usage"] is None for c in data[:-1])


def test_streaming_without_usage_and_with_stop(tiny_url: str) -> None:
    url = f"{tiny_url}/v1/chat/completions"
    full = httpx.post(url, json={"model": "m", "messages": HELLO, "max_tokens": 24},
                      headers=BEARER).json()["choices"][0]["message"]["content"]  # fmt: skip
    stop = full[6:9]
    body = {"model": "m", "messages": HELLO, "max_tokens": 24, "stream": True, "stop": stop}
    with httpx.stream("POST", url, json=body, headers=BEARER) as response:
        data = [c for c in _chunks(response) if isinstance(c, dict)]
    assert all("usage" not in c for c in data)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in data)
    assert text == full[: full.index(stop)]
    assert data[-1]["choices"][0]["finish_reason"] == "stop"


def test_openai_errors_use_openais_shape(tiny_url: str) -> None:
    url = f"{tiny_url}/v1/chat/completions"
    unauthorized = httpx.post(url, json={"model": "m", "messages": HELLO})
    assert unauthorized.status_code == 401
    assert set(unauthorized.json()["error"]) >= {"message", "type"}
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
    refused = httpx.post(url, json={"model": "m", "messages": [image]}, headers=BEARER)
    assert refused.status_code == 400 and "text only" in refused.json()["error"]["message"]
    two = httpx.post(url, json={"model": "m", "messages": HELLO, "n": 2}, headers=BEARER)
    assert two.status_code == 400 and "n:" in two.json()["error"]["message"]


def test_models_list_serves_openai_clients_too(tiny_url: str) -> None:
    listing = httpx.get(f"{tiny_url}/v1/models", headers=BEARER).json()
    assert listing["object"] == "list"
    assert listing["data"][0]["id"] == "tandem-edge" and listing["data"][0]["object"] == "model"
