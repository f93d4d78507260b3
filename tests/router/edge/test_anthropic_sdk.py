"""The official `anthropic` SDK against the edge server, on tiny real GGUF models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anthropic
import pytest

from router.endpoints.base import TokenDelta
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.types import GenerationOptions, Message
from tests.router.edge.conftest import StartServer
from tests.router.edge.support import HELLO, KEY


def _client(url: str, key: str = KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key=key, max_retries=0)


@pytest.fixture
def endless_url(start_server: StartServer, endless_gguf: Path) -> str:
    return start_server(LlamaCppEndpoint(endless_gguf, n_ctx=1024))


def test_stream_gives_text_and_a_final_message_with_usage(endless_url: str) -> None:
    client = _client(endless_url)
    with client.messages.stream(model="tandem-edge", max_tokens=12, messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    count = client.messages.count_tokens(model="tandem-edge", messages=HELLO).input_tokens
    assert text == "!" * 12
    assert final.content[0].type == "text" and final.content[0].text == text
    assert final.id.startswith("msg_") and final.model == "tandem-edge"
    assert final.stop_reason == "max_tokens" and final.stop_sequence is None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (count, 12)


def test_raw_stream_has_anthropics_event_sequence(endless_url: str) -> None:
    events = list(
        _client(endless_url).messages.create(model="m", max_tokens=4, messages=HELLO, stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 4,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start, delta = events[0], events[-2]
    assert start.type == "message_start" and start.message.content == []
    assert start.message.usage.input_tokens > 0
    assert delta.type == "message_delta" and delta.delta.stop_reason == "max_tokens"
    assert delta.usage.output_tokens == 4


def test_create_returns_a_message(tiny_url: str) -> None:
    client = _client(tiny_url)
    message = client.messages.create(model="claude-anything", max_tokens=16, messages=HELLO)
    streamed = client.messages.create(
        model="claude-anything", max_tokens=16, messages=HELLO, stream=True
    )
    text = "".join(
        e.delta.text
        for e in streamed
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.content[0].type == "text" and message.content[0].text == text
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert 0 < message.usage.output_tokens <= 16


def test_system_and_block_content_are_read_as_text(tiny_url: str) -> None:
    client = _client(tiny_url)
    as_strings = client.messages.count_tokens(
        model="m", system="be brief", messages=[{"role": "user", "content": "hi\n\nthere"}]
    )
    as_blocks = client.messages.count_tokens(
        model="m",
        system=[{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "there"}],
            }
        ],
    )
    as_system_turn = client.messages.count_tokens(
        model="m",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
            {"role": "user", "content": "there"},
        ],
    )
    assert as_strings.input_tokens == as_blocks.input_tokens == as_system_turn.input_tokens


async def test_count_tokens_uses_the_models_tokenizer_and_template(
    tiny_gguf: Path, start_server: StartServer
) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=1024)
    url = start_server(endpoint)
    client = anthropic.AsyncAnthropic(base_url=url, api_key=KEY, max_retries=0)
    counted = await client.messages.count_tokens(model="m", system="be nice", messages=HELLO)
    await endpoint.prepare()
    expected = endpoint.count_tokens(
        [Message(role="system", content="be nice"), Message(role="user", content="hello")]
    )
    assert counted.input_tokens == expected


def test_models_list_and_retrieve(tiny_url: str) -> None:
    client = _client(tiny_url)
    models = list(client.models.list())
    assert [m.id for m in models] == ["tandem-edge"]
    assert models[0].type == "model" and models[0].display_name
    assert client.models.retrieve("tandem-edge").id == "tandem-edge"
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-opus")


def test_wrong_key_is_an_authentication_error(tiny_url: str) -> None:
    with pytest.raises(anthropic.AuthenticationError) as caught:
        _client(tiny_url, "wrong-key").messages.create(model="m", max_tokens=4, messages=HELLO)
    assert caught.value.status_code == 401
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"


def test_no_key_needed_when_the_server_has_none(start_server: StartServer) -> None:
    url = start_server(api_key=None)
    message = _client(url, "anything").messages.create(model="m", max_tokens=3, messages=HELLO)
    assert message.usage.output_tokens > 0


def test_stop_sequences_cut_the_answer(tiny_url: str) -> None:
    client = _client(tiny_url)
    full = client.messages.create(model="m", max_tokens=24, messages=HELLO)
    text = full.content[0].text
    stop = text[8:11]
    expected = text[: text.index(stop)]
    with client.messages.stream(
        model="m", max_tokens=24, messages=HELLO, stop_sequences=["zzzz", stop]
    ) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    created = client.messages.create(
        model="m", max_tokens=24, messages=HELLO, stop_sequences=[stop]
    )
    assert streamed == expected == created.content[0].text
    assert final.stop_reason == created.stop_reason == "stop_sequence"
    assert final.stop_sequence == created.stop_sequence == stop


def test_images_prefill_and_long_prompts_are_refused_clearly(
    start_server: StartServer, tiny_gguf: Path
) -> None:
    client = _client(start_server(LlamaCppEndpoint(tiny_gguf, n_ctx=256)))
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"},
    }
    with pytest.raises(anthropic.BadRequestError, match="text only"):
        client.messages.create(
            model="m", max_tokens=4,
            messages=[{"role": "user", "content": [{"type": "text", "text": "see"}, image]}],
        )  # fmt: skip
    with pytest.raises(anthropic.BadRequestError, match="prefill"):
        client.messages.create(
            model="m", max_tokens=4,
            messages=[*HELLO, {"role": "assistant", "content": "Sure"}],
        )  # fmt: skip
    with pytest.raises(anthropic.BadRequestError, match=r"prompt is too long: \d+ tokens > 255"):
        client.messages.create(
            model="m", max_tokens=4, messages=[{"role": "user", "content": "word " * 400}]
        )


def test_tool_history_is_shown_to_the_model_as_text(tiny_url: str) -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "Oslo"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}]},
    ]  # fmt: skip
    message = _client(tiny_url).messages.create(
        model="m",
        max_tokens=3,
        messages=messages,
        tools=[{"name": "weather", "input_schema": {"type": "object"}}],
    )
    assert message.usage.input_tokens > 0 and message.stop_reason


async def test_eight_concurrent_clients_all_get_complete_answers(
    tiny_gguf: Path, start_server: StartServer
) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=1024)
    client = anthropic.AsyncAnthropic(base_url=start_server(endpoint), api_key=KEY, max_retries=0)
    prompts = [f"question number {i}" for i in range(8)]

    async def ask(prompt: str) -> anthropic.types.Message:
        async with client.messages.stream(
            model="m", max_tokens=16,
            messages=[{"role": "user", "content": prompt}],
        ) as stream:  # fmt: skip
            return await stream.get_final_message()

    answers = await asyncio.gather(*[ask(p) for p in prompts])

    async def direct(prompt: str) -> str:
        options = GenerationOptions(max_tokens=16, temperature=0)
        parts = [
            e.text
            async for e in endpoint.stream([Message(role="user", content=prompt)], options)
            if isinstance(e, TokenDelta)
        ]
        return "".join(parts)

    expected = [await direct(p) for p in prompts]
    assert [a.content[0].text for a in answers] == expected
    assert all(a.stop_reason in ("end_turn", "max_tokens") for a in answers)
    assert all(0 < a.usage.output_tokens <= 16 for a in answers)
