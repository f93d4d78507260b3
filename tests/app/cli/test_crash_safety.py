"""SIGKILL mid-stream: committed turns survive, the interrupted one is marked, nothing doubles."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from router.ledger.store import Ledger
from router.paths import resolve_paths
from tests.app.cli_support import run_tandem, tandem_env


def test_killed_mid_stream_then_restarted(tmp_path: Path, endless_gguf: Path) -> None:
    short = tandem_env(tmp_path, endless_gguf, TANDEM_GENERATION__MAX_TOKENS="5",
                       TANDEM_GENERATION__TEMPERATURE="0")  # fmt: skip
    assert run_tandem("chat", "--new", env=short, stdin="one\ntwo\n").returncode == 0
    ledger_file = resolve_paths(tmp_path).ledger_file
    [session] = Ledger(ledger_file).sessions()

    endless = {**short, "TANDEM_GENERATION__MAX_TOKENS": "1000000", "TANDEM_LOCAL__N_CTX": "8192"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "chat", "--session", session.id, "--once", "three"],
        env=endless, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        streamed = proc.stdout.read(20)  # blocks until the answer is streaming
        assert streamed == b"!" * 20
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    restarted = Ledger(ledger_file)
    assert restarted.recovered == 1
    turns = restarted.turns(session.id)
    assert [(t.user_text, t.status) for t in turns] == [
        ("one", "complete"),
        ("two", "complete"),
        ("three", "incomplete"),
    ]
    assert [t.answer for t in turns[:2]] == ["!!!!!", "!!!!!"]
    assert [m.content for m in restarted.history(session.id)] == ["one", "!!!!!", "two", "!!!!!"]
    restarted.close()

    after = run_tandem("chat", "--session", session.id, "--once", "four", env=short)
    assert after.returncode == 0, after.stderr
    final = Ledger(ledger_file).turns(session.id)
    assert [t.seq for t in final] == [0, 1, 2, 3]
    assert len({t.id for t in final}) == 4
    assert [t.status for t in final] == ["complete", "complete", "incomplete", "complete"]
