from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from app.gui.chat.view_model import ChatViewModel
from router.endpoints.base import TokenDelta
from router.endpoints.fake import FakeEndpoint, Responder, echo_responder
from router.errors import EndpointUnavailableError
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from router.types import Message
from tests.support.scripted import Scripted

RuntimeFactory = Callable[[FakeEndpoint], AbstractAsyncContextManager[Runtime]]


def local_fake(
    responder: Responder = echo_responder, *, context_window: int = 4096, delay_s: float = 0.0
) -> FakeEndpoint:
    """A fake endpoint that presents itself as the on-device model."""
    return FakeEndpoint(
        responder, name="local", kind="local", context_window=context_window, delay_s=delay_s
    )


def long_answer(messages: Sequence[Message]) -> str:
    return " ".join(f"word{i}" for i in range(200))


def failing_responder(messages: Sequence[Message]) -> str:
    raise RuntimeError("the model fell over")


def texts(vm: ChatViewModel) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in vm.messages]


async def test_send_streams_the_answer_into_state_token_by_token(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        snapshots: list[tuple[bool, str]] = []
        vm = ChatViewModel(runtime)
        vm.on_change = lambda: snapshots.append((vm.busy, vm.messages[-1].text))

        await vm.send("  hello there  ")

        # One re-render per token at least; the final event may repeat the full text.
        streamed = list(dict.fromkeys(text for busy, text in snapshots if busy and text))
        assert streamed == ["echo:", "echo: hello", "echo: hello there"]
        assert texts(vm) == [("user", "hello there"), ("assistant", "echo: hello there")]
        answer = vm.messages[-1]
        assert answer.status == "complete"
        assert answer.route.startswith("on this device (local)")
        assert "out tokens" in answer.stats and "tok/s" in answer.stats
        assert answer.stats.endswith(" s")
        assert not vm.busy and vm.error is None and vm.status == "ready"
        [turn] = runtime.ledger.turns(vm.session_id)
        assert turn.status == "complete" and turn.answer == "echo: hello there"


async def test_blank_input_does_nothing(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local_fake()) as runtime:
        changes: list[None] = []
        vm = ChatViewModel(runtime, on_change=lambda: changes.append(None))

        await vm.send("")
        await vm.send(" \n\t ")

        assert vm.messages == [] and changes == [] and vm.error is None
        assert runtime.ledger.sessions() == []


async def test_stop_cancels_the_turn_and_the_ledger_keeps_it_cancelled(
    fake_runtime: RuntimeFactory,
) -> None:
    # The delay only gives the stream await points where the cancellation lands;
    # the stop itself is triggered by the first token, not by time.
    async with fake_runtime(local_fake(long_answer, delay_s=0.001)) as runtime:
        vm = ChatViewModel(runtime)

        def stop_after_first_token() -> None:
            if vm.busy and vm.messages[-1].text:
                vm.stop()

        vm.on_change = stop_after_first_token
        await vm.send("tell me a long story")

        answer = vm.messages[-1]
        assert answer.status == "cancelled"
        assert answer.text.startswith("word0") and len(answer.text.split()) < 200
        assert "stopped" in answer.stats
        assert not vm.busy and vm.error is None and vm.status == "ready"
        [turn] = runtime.ledger.turns(vm.session_id)
        assert turn.status == "cancelled"
        assert turn.answer == answer.text


async def test_stop_when_idle_is_harmless(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = ChatViewModel(runtime)
        vm.stop()
        await vm.send("still works")
        assert vm.messages[-1].text == "echo: still works"


async def test_history_reloads_in_a_fresh_view_model(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local_fake()) as runtime:
        first = ChatViewModel(runtime)
        first.load_history()
        assert first.messages == []
        await first.send("one")
        await first.send("two")
        shown_before = first.messages

    # A new runtime on the same TANDEM_HOME is what the app sees after a restart.
    async with fake_runtime(local_fake()) as runtime:
        again = ChatViewModel(runtime)
        again.load_history()
        assert again.session_id == first.session_id
        assert again.messages == shown_before
        await again.send("three")
        assert len(runtime.ledger.turns(again.session_id)) == 3
        assert len(runtime.ledger.sessions()) == 1


async def test_new_conversation_starts_empty_and_keeps_the_old_one(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_fake()) as runtime:
        vm = ChatViewModel(runtime)
        await vm.send("first conversation")
        old = vm.session_id
        vm.new_conversation()
        assert vm.messages == [] and vm.session_id != old
        await vm.send("second conversation")
        assert [s.id for s in runtime.ledger.sessions()] == [vm.session_id, old]


async def test_a_prompt_too_long_shows_the_error_with_its_hint(
    fake_runtime: RuntimeFactory,
) -> None:
    async with fake_runtime(local_fake(context_window=300)) as runtime:
        vm = ChatViewModel(runtime)
        await vm.send("word " * 400)

        assert vm.error is not None
        assert "at most" in vm.error and "shorten it" in vm.error
        assert [m.role for m in vm.messages] == ["user", "error"]
        assert vm.messages[-1].text == vm.error
        assert not vm.busy and vm.status == "error"
        assert runtime.ledger.turns(vm.session_id) == []

        # The next, shorter question clears the error and works.
        await vm.send("short")
        assert vm.error is None and vm.messages[-1].text == "echo: short"


async def test_an_endpoint_failure_is_shown_and_persisted(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(local_fake(failing_responder)) as runtime:
        vm = ChatViewModel(runtime)
        await vm.send("hi")

        assert vm.error is not None and "the model fell over" in vm.error
        assert vm.messages[-1].role == "error"
        [turn] = runtime.ledger.turns(vm.session_id)
        assert turn.status == "error"

        # Reloaded, the failed turn still tells what went wrong.
        again = ChatViewModel(runtime)
        again.load_history()
        assert "the model fell over" in again.messages[-1].text
        assert "failed" in again.messages[-1].stats


async def test_prepare_model_loads_a_real_gguf_and_answers_on_this_device(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_GENERATION__MAX_TOKENS", "8")
    runtime = build_runtime(tandem_home, model=str(tiny_gguf))
    try:
        statuses: list[str] = []
        vm = ChatViewModel(runtime)
        vm.on_change = lambda: statuses.append(vm.status)

        await vm.prepare_model()
        assert statuses[0] == "loading model…" and vm.model_ready and vm.status == "ready"

        await vm.send("hello")
        answer = vm.messages[-1]
        assert answer.status == "complete" and answer.text
        assert answer.route.startswith("on this device (local)")
        assert "8 out tokens" in answer.stats
    finally:
        await runtime.aclose()


async def test_a_broken_model_file_is_an_error_not_a_crash(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"this is not a GGUF file" * 10)
    runtime = build_runtime(tandem_home, model=str(not_a_model))
    try:
        vm = ChatViewModel(runtime)
        await vm.prepare_model()
        assert vm.error is not None and not vm.model_ready and not vm.loading_model
        assert vm.status == "error"
    finally:
        await runtime.aclose()


async def test_a_failed_cloud_answer_is_replaced_by_the_device_answer(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_ROUTING__POLICY", "prefer_remote")
    cloud = Scripted([TokenDelta(text="partial cloud te"), EndpointUnavailableError("reset")])
    runtime = build_runtime(tandem_home, endpoints={"cloud": cloud, "local": local_fake()})
    try:
        vm = ChatViewModel(runtime)
        await vm.send("hello")
        assert texts(vm) == [("user", "hello"), ("assistant", "echo: hello")]
        reply = vm.messages[-1]
        assert reply.route.startswith("on this device (local) · cloud failed (reset)")
        assert vm.error is None
    finally:
        await runtime.aclose()
