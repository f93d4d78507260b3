"""The terminal chat survives a crashing local model (faults injected into the real worker)."""

from pathlib import Path

import pytest

from router.endpoints.llama_checks import CHECKS_FILE
from router.ledger.store import Ledger
from router.paths import resolve_paths
from tests.app.cli_support import run_tandem, tandem_env

FRANCE = "What is the capital of France? Answer with one word."


@pytest.mark.bundled
def test_a_cpu_where_extra_buffers_crash_still_gets_paris(
    tmp_path: Path, bundled_gguf: Path
) -> None:
    # What a Sapphire Rapids (AMX) machine does with llama.cpp's repacked weights.
    env = tandem_env(tmp_path, bundled_gguf, TANDEM_LLAMA_FAULT="segv-with-extra-buffers")
    result = run_tandem("chat", "--once", FRANCE, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert "SIGSEGV" in result.stderr and "extra CPU buffers off" in result.stderr
    assert (resolve_paths(tmp_path).data_dir / CHECKS_FILE).exists()

    again = run_tandem("chat", "--once", FRANCE, env=env, timeout=300)
    assert again.returncode == 0 and "Paris" in again.stdout
    assert "SIGSEGV" not in again.stderr  # said once: the remembered setting is used silently


def test_a_crash_costs_one_turn_of_the_terminal_chat(tmp_path: Path, tiny_gguf: Path) -> None:
    trigger = tmp_path / "crash"
    trigger.touch()
    env = tandem_env(
        tmp_path,
        tiny_gguf,
        TANDEM_GENERATION__MAX_TOKENS="4",
        TANDEM_LLAMA_FAULT=f"segv-once:{trigger}",
    )
    result = run_tandem("chat", env=env, stdin="first\nsecond\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "the local model crashed (SIGSEGV)" in result.stderr
    assert result.stderr.count("on this device") == 1  # the second question was answered
    ledger = Ledger(resolve_paths(tmp_path).ledger_file)
    [session] = ledger.sessions()
    turns = ledger.turns(session.id)
    assert [(t.user_text, t.status) for t in turns] == [("first", "error"), ("second", "complete")]
