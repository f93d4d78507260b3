"""Browser scenario: a tab is open and an answer is streaming when the app gets SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page

from app.gui.main import free_port
from router.ledger.store import Ledger
from router.paths import resolve_paths
from tests.app.cli_support import gui_env
from tests.e2e.conftest import REPO, GuiApp, open_app, wait_until_serving
from tests.e2e.gui_steps import chat_input, type_into

STOP_WITHIN_S = 30.0
"""Generous, for a loaded machine: the stop takes about a second, its deadline 5 s."""
STREAMING_WITHIN_S = 90.0
_ANSWER_HAS_TEXT = """() => [...document.querySelectorAll('flt-semantics')].some(
    (e) => /Tandem device [^…▍\\s]/.test(e.innerText || ''))"""
"""The answer's bubble shows streamed text: its label, then text (not "…" or the cursor "▍")."""


def test_sigterm_with_a_tab_open_and_an_answer_streaming(
    page: Page, tmp_path: Path, endless_gguf: Path
) -> None:
    home = tmp_path / "home"
    env = gui_env(home, endless_gguf, TANDEM_GENERATION__MAX_TOKENS="1000000",
                  TANDEM_LOCAL__N_CTX="8192")  # fmt: skip
    port = free_port()
    log = tmp_path / "gui.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "--web", "--port", str(port)],
                                cwd=REPO, env=env, stdout=out, stderr=out)  # fmt: skip
    try:
        app = GuiApp(wait_until_serving(log, proc), log, home)
        open_app(page, app.url)
        type_into(page, chat_input(page), "go on forever")
        page.keyboard.press("Enter")
        ledger_file = resolve_paths(home).ledger_file
        _wait_for_a_turn_in_progress(ledger_file)
        page.wait_for_function(_ANSWER_HAS_TEXT, timeout=STREAMING_WITHIN_S * 1000)

        proc.send_signal(signal.SIGTERM)  # the tab stays open, its websocket too
        assert proc.wait(timeout=STOP_WITHIN_S) == 0, app.output()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    ledger = Ledger(ledger_file)
    assert ledger.recovered == 0  # nothing was left in progress
    [turn] = ledger.turns(ledger.sessions()[0].id)
    assert turn.status == "cancelled" and turn.answer  # what had streamed is kept
    ledger.close()


def _wait_for_a_turn_in_progress(ledger_file: Path) -> None:
    # Read with sqlite3, not `Ledger`: opening a Ledger marks in-progress turns interrupted.
    deadline = time.monotonic() + STREAMING_WITHIN_S
    while time.monotonic() < deadline:
        if ledger_file.exists():
            with contextlib.closing(sqlite3.connect(f"file:{ledger_file}?mode=ro", uri=True)) as db:
                try:
                    rows = db.execute("SELECT status FROM turns").fetchall()
                except sqlite3.OperationalError:  # the schema is still being created
                    rows = []
            if rows == [("in_progress",)]:
                return
        time.sleep(0.2)
    raise AssertionError("the answer never started streaming")
