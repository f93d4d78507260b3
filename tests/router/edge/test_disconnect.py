"""A client that leaves stops its generation and frees the model for the next request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anthropic
import httpx
import pytest

from router.types import Message
from tests.router.edge.conftest import StartServer
from tests.router.edge.support import HELLO, KEY, SpyEndpoint, sse_events

LONG = 16_000  # far more tokens than are generated before the server notices


async def _generated_tokens(endpoint: SpyEndpoint) -> int:
    """Tokens the model generated for HELLO, read once the worker has let go of the model."""
    model = endpoint.model
    assert model is not None
    stats = await asyncio.to_thread(model.wait_idle, 30)
    assert not stats["busy"]
    return int(stats["n_tokens"]) - endpoint.count_tokens([Message(role="user", content="hello")])


async def test_leaving_mid_stream_stops_generation(
    start_server: StartServer, endless_gguf: Path
) -> None:
    endpoint = SpyEndpoint(endless_gguf, n_ctx=LONG + 512)
    url = start_server(endpoint)
    body = {"model": "m", "max_tokens": LONG, "messages": HELLO, "stream": True}
    async with (
        httpx.AsyncClient(timeout=60) as http,
        http.stream(
            "POST", f"{url}/v1/messages", json=body, headers={"x-api-key": KEY}
        ) as response,
    ):
        deltas = 0
        async for name, _ in sse_events(response):
            deltas += name == "content_block_delta"
            if deltas == 3:
                break
    # Leaving the block closed the connection mid-stream.
    assert await asyncio.to_thread(endpoint.closed_early.wait, 30)
    assert not endpoint.finished.is_set()
    assert 3 <= await _generated_tokens(endpoint) < LONG // 2
    client = anthropic.AsyncAnthropic(base_url=url, api_key=KEY, max_retries=0)
    answer = await client.messages.create(model="m", max_tokens=4, messages=HELLO)
    assert answer.content[0].text == "!!!!" and endpoint.finished.is_set()


async def test_leaving_a_non_streamed_request_stops_generation(
    start_server: StartServer, endless_gguf: Path
) -> None:
    endpoint = SpyEndpoint(endless_gguf, n_ctx=LONG + 512)
    url = start_server(endpoint)
    body = {"model": "m", "max_tokens": LONG, "messages": HELLO}
    async with httpx.AsyncClient(timeout=60) as http:
        request = asyncio.create_task(
            http.post(f"{url}/v1/messages", json=body, headers={"x-api-key": KEY})
        )
        assert await asyncio.to_thread(endpoint.first_token.wait, 30)
        request.cancel()  # the client gives up: httpx drops the connection
        with pytest.raises(asyncio.CancelledError):
            await request
    assert await asyncio.to_thread(endpoint.closed_early.wait, 30)
    assert await _generated_tokens(endpoint) < LONG // 2
    client = anthropic.AsyncAnthropic(base_url=url, api_key=KEY, max_retries=0)
    answer = await client.messages.create(model="m", max_tokens=3, messages=HELLO)
    assert answer.content[0].text == "!!!"
