"""The app's chat survives a crashing local model: one turn shows the error, the next answers.

The crash is a real segfault injected into the real worker process
(`TANDEM_LLAMA_FAULT`), on the tiny test GGUF.
"""

from pathlib import Path

import pytest

from app.gui.chat.view_model import ChatViewModel
from router.endpoints.llama_faults import ENV
from router.endpoints.llama_model import unload_all
from router.paths import TandemPaths
from router.runtime.compose import build_runtime


async def test_a_worker_crash_costs_the_gui_one_turn(
    tandem_home: TandemPaths, tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = tmp_path / "crash"
    monkeypatch.setenv("TANDEM_GENERATION__MAX_TOKENS", "6")
    monkeypatch.setenv(ENV, f"segv-once:{crash}")
    unload_all()
    runtime = build_runtime(tandem_home, model=str(tiny_gguf))
    try:
        vm = ChatViewModel(runtime)
        await vm.prepare_model()
        await vm.send("hello")
        assert vm.messages[-1].status == "complete"

        crash.touch()
        await vm.send("again")
        assert vm.error is not None and "crashed (SIGSEGV)" in vm.error
        assert "restarted it" in vm.error
        assert vm.messages[-1].role == "error"
        assert not vm.busy  # the page is usable: no spinner left behind

        await vm.send("and once more")
        assert vm.messages[-1].status == "complete" and vm.messages[-1].text
        statuses = [t.status for t in runtime.ledger.turns(vm.session_id)]
        assert statuses == ["complete", "error", "complete"]
    finally:
        await runtime.aclose()
        unload_all()
