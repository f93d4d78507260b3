"""The llama.cpp endpoint on a tiny real GGUF: load, stream, cancel, share, fail clearly."""

import asyncio
import threading
from pathlib import Path

import pytest

from router.endpoints.base import StreamEnd, TokenDelta
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.errors import ModelFormatError, ModelNotFoundError, PromptTooLongError
from router.types import GenerationOptions, Message

HELLO = [Message(role="system", content="be nice"), Message(role="user", content="hello")]
GREEDY = GenerationOptions(max_tokens=24, temperature=0.0)


async def _run(endpoint: LlamaCppEndpoint, options: GenerationOptions = GREEDY,
               messages: list[Message] = HELLO) -> tuple[str, StreamEnd]:  # fmt: skip
    text, end = [], None
    async for event in endpoint.stream(messages, options):
        if isinstance(event, TokenDelta):
            text.append(event.text)
        else:
            end = event
    assert end is not None
    return "".join(text), end


async def test_streams_tokens_then_one_end_with_usage(endless_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(endless_gguf, n_ctx=512)
    events = [e async for e in endpoint.stream(HELLO, GREEDY)]
    deltas = [e for e in events if isinstance(e, TokenDelta)]
    assert isinstance(events[-1], StreamEnd)
    assert all(isinstance(e, TokenDelta) for e in events[:-1])
    assert len(deltas) == 24
    assert "".join(d.text for d in deltas) == "!" * 24
    usage = events[-1].usage
    assert usage.output_tokens == 24
    assert usage.input_tokens == endpoint.count_tokens(HELLO)
    assert usage.ttft_s is not None and 0 < usage.ttft_s <= usage.latency_s
    assert events[-1].finish_reason == "length"


async def test_prompt_uses_the_gguf_chat_template(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    await endpoint.prepare()
    model = endpoint.model
    assert model is not None
    expected = (
        "<|im_start|>system\nbe nice<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    tokens = model.tokenize(expected, add_bos=False, special=True)
    assert endpoint.count_tokens(HELLO) == len(tokens)
    im_start = model.tokenize("<|im_start|>", add_bos=False, special=True)
    assert len(im_start) == 1  # a single control token: the template's markup was honoured


async def test_same_seed_gives_the_same_answer(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    options = GenerationOptions(max_tokens=16, temperature=0.9, seed=7)
    first, _ = await _run(endpoint, options)
    second, _ = await _run(endpoint, options)
    assert first == second


async def test_closing_the_stream_stops_generation_and_frees_the_model(endless_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(endless_gguf, n_ctx=2048)
    stream = endpoint.stream(HELLO, GenerationOptions(max_tokens=2000, temperature=0.0))
    received = 0
    async for event in stream:
        received += isinstance(event, TokenDelta)
        if received == 3:
            break
    await stream.aclose()
    model = endpoint.model
    assert model is not None
    # The worker goes idle once it notices the cancel.
    stats = await asyncio.to_thread(model.wait_idle, 30)
    assert not stats["busy"]
    generated = stats["n_tokens"] - endpoint.count_tokens(HELLO)
    assert generated < 2000 // 2
    text, end = await _run(endpoint, GenerationOptions(max_tokens=5, temperature=0.0))
    assert (text, end.usage.output_tokens) == ("!!!!!", 5)


async def test_cancelling_the_consuming_task_stops_generation(endless_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(endless_gguf, n_ctx=2048)
    first = asyncio.Event()

    async def consume() -> None:
        async for event in endpoint.stream(
            HELLO, GenerationOptions(max_tokens=2000, temperature=0)
        ):
            if isinstance(event, TokenDelta):
                first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    text, _ = await _run(endpoint, GenerationOptions(max_tokens=3, temperature=0.0))
    assert text == "!!!"


async def test_concurrent_callers_share_one_model_without_mixing_output(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=1024)
    other = LlamaCppEndpoint(tiny_gguf, n_ctx=1024, name="other")
    questions = [[Message(role="user", content=f"question {i}")] for i in range(4)]
    options = GenerationOptions(max_tokens=20, temperature=0.8, seed=3)
    sequential = [await _run(endpoint, options, q) for q in questions]
    together = await asyncio.gather(
        *[_run(endpoint if i % 2 else other, options, q) for i, q in enumerate(questions)]
    )
    assert [t for t, _ in together] == [t for t, _ in sequential]
    await other.prepare()
    assert other._model is endpoint._model


async def test_generation_runs_off_the_event_loop(endless_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(endless_gguf, n_ctx=2048)
    await endpoint.prepare()
    ticks = 0
    done = threading.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    tick_task = asyncio.create_task(ticker())
    _, end = await _run(endpoint, GenerationOptions(max_tokens=1500, temperature=0.0))
    done.set()
    await tick_task
    # If generation blocked the loop, the ticker could only run between tokens.
    assert ticks > end.usage.output_tokens


async def test_prompt_larger_than_the_context_window_is_refused(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=256)
    with pytest.raises(PromptTooLongError) as err:
        await _run(endpoint, GREEDY, [Message(role="user", content="hello " * 400)])
    assert "256" in err.value.message
    text, _ = await _run(endpoint, GenerationOptions(max_tokens=4, temperature=0.0))
    assert text


async def test_answer_is_capped_by_the_room_left_in_the_window(endless_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(endless_gguf, n_ctx=256)
    _, end = await _run(endpoint, GenerationOptions(max_tokens=10_000, temperature=0.0))
    assert end.usage.input_tokens + end.usage.output_tokens == 256
    assert end.finish_reason == "length"


async def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        await LlamaCppEndpoint(tmp_path / "absent.gguf").prepare()


async def test_truncated_model_file(tiny_gguf: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_gguf.read_bytes()[:-1000])
    with pytest.raises(ModelFormatError, match="damaged"):
        await LlamaCppEndpoint(cut).prepare()


async def test_text_file_renamed_to_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "readme.gguf"
    fake.write_text("# not a model\n")
    with pytest.raises(ModelFormatError, match="not a GGUF"):
        await LlamaCppEndpoint(fake).prepare()
