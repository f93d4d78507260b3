"""The local model in a supervised worker: crashes, hangs and bad CPUs cost one turn at most.

Faults are injected into the real worker process (`TANDEM_LLAMA_FAULT`, see
router/endpoints/llama_faults.py), so no AMX machine is needed to prove the
fallback: `segv-with-extra-buffers` crashes the worker at its first decode
exactly where llama.cpp's AMX kernels do, unless extra buffers are off.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from router.endpoints.base import StreamEnd, TokenDelta
from router.endpoints.llama_checks import default_store
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.llama_faults import ENV
from router.endpoints.llama_model import unload_all
from router.errors import LocalModelCrashedError
from router.paths import TandemPaths
from router.types import GenerationOptions, Message

HELLO = [Message(role="user", content="hello")]
GREEDY = GenerationOptions(max_tokens=8, temperature=0.0, seed=1)


@pytest.fixture(autouse=True)
def _fresh_workers(tandem_home: TandemPaths) -> Iterator[None]:
    """Each test starts its own workers (with its own faults) and stops them after."""
    unload_all()
    yield
    unload_all()


async def _answer(endpoint: LlamaCppEndpoint) -> tuple[str, StreamEnd]:
    text, end = [], None
    async for event in endpoint.stream(HELLO, GREEDY):
        if isinstance(event, TokenDelta):
            text.append(event.text)
        elif isinstance(event, StreamEnd):
            end = event
    assert end is not None
    return "".join(text), end


def _pid(endpoint: LlamaCppEndpoint) -> int:
    model = endpoint.model
    assert model is not None and model.host.worker is not None
    pid = model.host.worker.pid
    assert pid is not None
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


async def test_the_model_runs_in_another_process(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    text, end = await _answer(endpoint)
    assert text and end.usage.output_tokens > 0
    assert _pid(endpoint) != os.getpid()


async def test_a_crash_at_first_decode_falls_back_to_safe_cpu_settings_and_is_remembered(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENV, "segv-with-extra-buffers")
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)

    text, _ = await _answer(endpoint)  # the first turn answers despite the crash

    assert text
    model = endpoint.model
    assert model is not None
    assert model.host.profile.extra_buffers is False
    notice = " ".join(model.host.notices)
    assert "SIGSEGV" in notice and "extra CPU buffers off" in notice
    assert any("SIGSEGV" in r.getMessage() for r in caplog.records)  # said once, as a warning
    (record,) = default_store().records()
    assert record.passed and record.profile == "no-extra-buffers"
    assert any("SIGSEGV" in f for f in record.failures)

    # A new process (here: a fresh registry) goes straight to what worked, silently.
    unload_all()
    again = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    assert (await _answer(again))[0] == text
    assert again.model is not None and again.model.host.notices == []
    assert again.model.host.profile.name == "no-extra-buffers"


async def test_garbage_logits_fall_back_too(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "nan-with-extra-buffers")
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    await endpoint.prepare()
    assert endpoint.model is not None
    assert endpoint.model.host.profile.extra_buffers is False
    assert "not finite" in endpoint.model.host.notices[0]


async def test_extra_buffers_off_skips_the_crashing_path_without_a_self_test(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "segv-with-extra-buffers")
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512, extra_buffers="off")
    text, _ = await _answer(endpoint)
    assert text
    assert default_store().records() == []  # a forced setting is not self-tested


async def test_a_crash_mid_conversation_costs_one_turn(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    trigger = tmp_path / "crash-next-decode"
    monkeypatch.setenv(ENV, f"segv-once:{trigger}")
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512, extra_buffers="off")
    before, _ = await _answer(endpoint)
    first_pid = _pid(endpoint)

    trigger.touch()
    with pytest.raises(LocalModelCrashedError, match=r"crashed \(SIGSEGV\); restarted it"):
        await _answer(endpoint)

    after, _ = await _answer(endpoint)  # the next turn works, on a new worker
    assert after == before
    assert _pid(endpoint) != first_pid
    assert not _alive(first_pid)


async def test_a_native_crash_under_auto_steps_down_to_safe_settings(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    trigger = tmp_path / "crash"
    monkeypatch.setenv(ENV, f"segv-once:{trigger}")
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    await _answer(endpoint)
    trigger.touch()
    with pytest.raises(LocalModelCrashedError, match="restarted it with safe CPU settings"):
        await _answer(endpoint)
    await _answer(endpoint)
    assert endpoint.model is not None
    assert endpoint.model.host.profile.extra_buffers is False
    (record,) = default_store().records()
    assert record.profile == "no-extra-buffers"


async def test_a_hung_worker_is_killed_and_replaced(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    trigger = tmp_path / "hang"
    monkeypatch.setenv(ENV, f"hang-once:{trigger}")
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512, extra_buffers="off", stall_timeout_s=2)
    await _answer(endpoint)
    hung = _pid(endpoint)
    trigger.touch()
    with pytest.raises(LocalModelCrashedError, match="stopped responding"):
        await _answer(endpoint)
    text, _ = await _answer(endpoint)
    assert text
    assert not _alive(hung)


async def test_an_out_of_memory_kill_mid_answer_is_reported_as_such(endless_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(endless_gguf, n_ctx=4096, extra_buffers="off")
    long = GenerationOptions(max_tokens=4000, temperature=0.0)
    received = 0
    with pytest.raises(LocalModelCrashedError, match="SIGKILL, perhaps out of memory"):
        async for event in endpoint.stream(HELLO, long):
            received += isinstance(event, TokenDelta)
            if received == 3:
                os.kill(_pid(endpoint), signal.SIGKILL)  # what the kernel's OOM killer sends
    text, _ = await _answer(endpoint)
    assert text == "!" * 8


_PARENT = """
import sys, time
from router.endpoints.llama_model import load_model
model = load_model(sys.argv[1], 512, extra_buffers="off")
print(model.host.worker.pid, flush=True)
time.sleep(600)
"""


def test_the_worker_dies_with_the_app_even_on_kill_9(tiny_gguf: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tiny_gguf)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None
        worker = int(app.stdout.readline())
        assert _alive(worker)
        app.kill()
        app.wait(10)
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
    finally:
        app.kill()
