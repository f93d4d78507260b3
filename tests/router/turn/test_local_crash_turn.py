"""A crash of the local model's worker costs one turn: the ledger stays consistent.

The crash is injected into the real worker process (`TANDEM_LLAMA_FAULT`).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from router.endpoints.llama_faults import ENV
from router.endpoints.llama_model import unload_all
from router.errors import LocalModelCrashedError
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from tests.router.runtime.test_reload_model import short_answers
from tests.support.pipeline import collect, finished


async def _turn(runtime: Runtime, session: str, text: str) -> str:
    turn = finished(await collect(runtime.pipeline, text, session_id=session)).turn
    assert turn.status == "complete"
    return turn.answer


async def test_a_worker_crash_fails_one_turn_and_the_conversation_goes_on(
    tandem_home: TandemPaths, tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = tmp_path / "crash"
    monkeypatch.setenv(ENV, f"segv-once:{trigger}")
    unload_all()
    runtime = build_runtime(tandem_home, short_answers(tandem_home), model=str(tiny_gguf))
    session = uuid.uuid4().hex
    try:
        await _turn(runtime, session, "hello")
        trigger.touch()
        with pytest.raises(LocalModelCrashedError, match=r"SIGSEGV"):
            await _turn(runtime, session, "are you there?")
        await _turn(runtime, session, "and now?")

        turns = runtime.pipeline.ledger.turns(session)
        assert [t.status for t in turns] == ["complete", "error", "complete"]
        assert [t.user_text for t in turns] == ["hello", "are you there?", "and now?"]
        assert "SIGSEGV" in (turns[1].error or "")
        # The failed turn's empty answer is not carried into the next prompt as history.
        history = runtime.pipeline.ledger.history(session)
        assert [m.content for m in history if m.role == "user"] == ["hello", "and now?"]
    finally:
        await runtime.aclose()
        unload_all()
