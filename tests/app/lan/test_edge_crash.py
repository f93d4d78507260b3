"""The LAN view's edge API over a real on-device model whose worker crashes (the fault
plan stands in for llama.cpp's AMX crash on CPUs unlike this one): the phone's request in
flight gets one clear error, the server keeps serving, and the next request is answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.lan.service import LanService
from router import Runtime, build_runtime
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.llama_faults import ENV
from router.endpoints.llama_model import unload_all
from router.paths import TandemPaths
from tests.support.lan_view import LAN_NAME, phone, private_app

REQUEST = {
    "model": "m",
    "max_tokens": 4,
    "temperature": 0,
    "messages": [{"role": "user", "content": "Hello"}],
}


@pytest.fixture
async def crashing_runtime(
    tandem_home: TandemPaths, tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Runtime, Path]]:
    """A runtime over the tiny GGUF whose worker SIGSEGVs once when `crash` exists."""
    crash = tmp_path / "crash"
    monkeypatch.setenv(ENV, f"segv-once:{crash}")
    monkeypatch.setenv("TANDEM_LAN_NAMES", LAN_NAME)
    unload_all()  # the worker must start with the fault plan
    local = LlamaCppEndpoint(tiny_gguf, n_ctx=1024, extra_buffers="off")
    runtime = build_runtime(tandem_home, endpoints={"local": local})
    try:
        yield runtime, crash
    finally:
        await LanService.for_runtime(runtime).stop()
        await runtime.aclose()
        unload_all()


async def test_a_worker_crash_costs_the_phone_one_request(
    crashing_runtime: tuple[Runtime, Path],
) -> None:
    runtime, crash = crashing_runtime
    service = LanService.for_runtime(runtime)
    service.web_app = private_app()
    status = await service.start(0, "127.0.0.1")
    async with phone(service) as client:
        paired = await client.post("/pair", json={"code": status.code, "name": "Pixel 7"})
        bearer = {"Authorization": f"Bearer {paired.json()['token']}"}

        async def ask() -> httpx.Response:
            return await client.post("/v1/messages", json=REQUEST, headers=bearer)

        before = await ask()
        crash.touch()
        crashed = await ask()
        after = await ask()

    assert before.status_code == 200, before.text
    assert crashed.status_code >= 500 and "SIGSEGV" in crashed.text
    assert crashed.json()["type"] == "error"  # the Anthropic API's error shape, for the phone
    assert after.status_code == 200
    assert after.json()["content"] == before.json()["content"]  # greedy: the same answer
    assert service.status().serving
