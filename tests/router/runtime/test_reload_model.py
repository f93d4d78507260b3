"""Switching the local model of a running runtime: real GGUF files, no restart."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from router.endpoints import llama_model
from router.endpoints.fake import FakeEndpoint
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.llama_model import load_model
from router.errors import ModelFormatError, ModelLoadError, ModelNotFoundError, TandemError
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from router.settings.config import Settings, load_settings
from router.turn.events import TurnFinished
from router.types import GenerationOptions, TurnRequest
from tests.support.pipeline import collect, finished


def short_answers(home: TandemPaths) -> Settings:
    """Greedy, 6-token answers: the endless model says "!!!!!!", the tiny one does not."""
    settings = load_settings(home)
    generation = GenerationOptions(max_tokens=6, temperature=0.0, seed=1)
    return settings.model_copy(update={"generation": generation})


async def answer(runtime: Runtime) -> str:
    """The answer to "hello" in a new conversation, so equal models answer alike."""
    turn = finished(await collect(runtime.pipeline, "hello", session_id=uuid.uuid4().hex)).turn
    assert turn.status == "complete"
    return turn.answer


@pytest.fixture
async def tiny_runtime(tandem_home: TandemPaths, tiny_gguf: Path) -> AsyncIterator[Runtime]:
    runtime = build_runtime(tandem_home, short_answers(tandem_home), model=str(tiny_gguf))
    yield runtime
    await runtime.aclose()


def local_path(runtime: Runtime) -> Path:
    local = runtime.local
    assert isinstance(local, LlamaCppEndpoint)
    return Path(local.model_path)


async def test_switching_between_two_real_models_answers_with_the_new_one(
    tiny_runtime: Runtime, tiny_gguf: Path, endless_gguf: Path
) -> None:
    runtime = tiny_runtime
    before = await answer(runtime)
    assert before and set(before) != {"!"}
    old = runtime.local

    await runtime.switch_model(str(endless_gguf))

    assert runtime.local is not old and local_path(runtime) == endless_gguf
    assert runtime.local.loaded  # type: ignore[attr-defined]  # loaded by the switch
    assert runtime.models.active_spec == str(endless_gguf)
    assert set(await answer(runtime)) == {"!"}

    await runtime.switch_model(str(tiny_gguf))  # and back again
    assert await answer(runtime) == before


async def test_a_switch_frees_the_old_model_and_no_other(
    tiny_runtime: Runtime, endless_gguf: Path, tmp_path: Path
) -> None:
    runtime = tiny_runtime
    await runtime.local.prepare()
    old = runtime.local
    assert isinstance(old, LlamaCppEndpoint)
    bystander = load_model(endless_gguf, 256)  # loaded by someone else in this process

    await runtime.switch_model(str(endless_gguf))

    assert not old.loaded
    cached = llama_model._cache  # what the process still holds in memory
    assert (str(Path(old.model_path).resolve()), old.context_window, 0) not in cached
    assert load_model(endless_gguf, 256) is bystander  # still loaded, not reloaded


async def test_a_failed_switch_leaves_the_old_model_answering(
    tiny_runtime: Runtime, tmp_path: Path
) -> None:
    runtime = tiny_runtime
    before = await answer(runtime)
    old = runtime.local
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("not a model")

    with pytest.raises(ModelNotFoundError, match="no model called"):
        await runtime.switch_model(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelFormatError, match="not a GGUF model"):
        await runtime.switch_model(str(not_gguf))

    assert runtime.local is old and runtime.models.active_spec != str(not_gguf)
    assert await answer(runtime) == before


async def test_a_model_llama_cpp_refuses_puts_the_old_one_back_loaded(
    tiny_runtime: Runtime, tiny_gguf: Path, tmp_path: Path
) -> None:
    runtime = tiny_runtime
    before = await answer(runtime)
    # A well-formed GGUF (its header checks out) of an architecture llama.cpp does not know.
    alien = tmp_path / "alien.gguf"
    alien.write_bytes(tiny_gguf.read_bytes().replace(b"llama", b"zzzzz"))
    spec = runtime.models.active_spec

    with pytest.raises(ModelLoadError, match=f"could not switch to .*still using {spec}"):
        await runtime.switch_model(str(alien))

    assert local_path(runtime) == tiny_gguf and runtime.local.loaded  # type: ignore[attr-defined]
    assert runtime.models.active_spec == spec
    assert await answer(runtime) == before


async def test_a_switch_waits_for_the_reply_being_written(
    tandem_home: TandemPaths, tiny_gguf: Path
) -> None:
    slow = FakeEndpoint(name="local", kind="local", delay_s=0.05)
    runtime = build_runtime(tandem_home, endpoints={"local": slow})
    try:
        request = TurnRequest(text="one two three four five six", session_id="s")
        events = runtime.pipeline.run_turn(request)
        await anext(events)  # the route is chosen: the turn is in flight
        assert runtime.turns.running == 1

        with pytest.raises(TandemError, match="while a reply is being written"):
            await runtime.switch_model(str(tiny_gguf), wait_s=0.1)
        assert runtime.local is slow  # refused: nothing changed

        switch = asyncio.create_task(runtime.switch_model(str(tiny_gguf)))
        rest = [e async for e in events]  # the reply streams on while the switch waits
        assert isinstance(rest[-1], TurnFinished) and rest[-1].turn.status == "complete"
        assert "six" in rest[-1].turn.answer
        await switch
        assert local_path(runtime) == tiny_gguf and runtime.turns.running == 0
    finally:
        await runtime.aclose()


async def test_a_bad_spec_on_a_fake_runtime_changes_nothing(
    tandem_home: TandemPaths,
) -> None:
    fake = FakeEndpoint(name="local", kind="local")
    runtime = build_runtime(tandem_home, endpoints={"local": fake})
    try:
        with pytest.raises(TandemError, match="no model given"):
            await runtime.switch_model("  ")
        with pytest.raises(ModelNotFoundError):
            await runtime.switch_model("no-such-model")
        assert runtime.local is fake and runtime.models.active_spec == "bundled"
    finally:
        await runtime.aclose()
