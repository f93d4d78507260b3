"""Integration tests on the real bundled model (Qwen2.5-Coder-0.5B-Instruct, Q4)."""

import asyncio
from pathlib import Path

import pytest

from router.endpoints.base import StreamEnd, TokenDelta
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.types import GenerationOptions, Message

pytestmark = pytest.mark.bundled
GREEDY = GenerationOptions(max_tokens=48, temperature=0.0)


def _ask(question: str) -> list[Message]:
    return [
        Message(role="system", content="You are a helpful assistant. Answer briefly."),
        Message(role="user", content=question),
    ]


async def _answer(endpoint: LlamaCppEndpoint, question: str) -> tuple[list[str], StreamEnd]:
    deltas, end = [], None
    async for event in endpoint.stream(_ask(question), GREEDY):
        if isinstance(event, TokenDelta):
            deltas.append(event.text)
        else:
            end = event
    assert end is not None
    return deltas, end


@pytest.fixture(scope="module")
def bundled(bundled_gguf: Path) -> LlamaCppEndpoint:
    return LlamaCppEndpoint(bundled_gguf, n_ctx=2048)


async def test_answers_a_simple_question_sensibly(bundled: LlamaCppEndpoint) -> None:
    deltas, end = await _answer(bundled, "What is the capital of France?")
    assert "Paris" in "".join(deltas)
    assert end.finish_reason == "stop"  # the chat template's end-of-turn token ended it


async def test_streams_token_by_token(bundled: LlamaCppEndpoint) -> None:
    deltas, end = await _answer(bundled, "Count from one to five in words.")
    answer = "".join(deltas).lower()
    assert all(word in answer for word in ("one", "two", "three", "four", "five"))
    assert len(deltas) >= 5
    assert len(deltas) >= end.usage.output_tokens - 2  # about one delta per token
    assert end.usage.ttft_s is not None and end.usage.tokens_per_s > 0


async def test_chat_template_is_the_gguf_own(bundled: LlamaCppEndpoint) -> None:
    await bundled.prepare()
    model = bundled._model
    assert model is not None
    assert "<|im_start|>" in model.chat_template
    assert model.eos_token == "<|im_end|>"


async def test_cancellation_mid_stream(bundled: LlamaCppEndpoint) -> None:
    stream = bundled.stream(
        _ask("Write a long story about a dragon."), GenerationOptions(max_tokens=400)
    )
    got = 0
    async for event in stream:
        got += isinstance(event, TokenDelta)
        if got == 3:
            break
    await stream.aclose()
    deltas, _ = await _answer(bundled, "What is 2 + 3? Reply with the number only.")
    assert "5" in "".join(deltas)


async def test_concurrent_requests_each_get_their_own_answer(bundled: LlamaCppEndpoint) -> None:
    results = await asyncio.gather(
        _answer(bundled, "What is the capital of France?"),
        _answer(bundled, "What is the capital of Japan?"),
    )
    france, japan = ("".join(deltas) for deltas, _ in results)
    assert "Paris" in france and "Tokyo" not in france
    assert "Tokyo" in japan and "Paris" not in japan
