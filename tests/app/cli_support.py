"""Runs the real `tandem` command in a subprocess with an isolated TANDEM_HOME."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path


def tandem_env(home: Path, model: Path | str, **extra: str) -> dict[str, str]:
    """Environment for a subprocess: isolated home, chosen model, nothing from the hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(TANDEM_HOME=str(home), TANDEM_LOCAL__MODEL=str(model), HF_HUB_OFFLINE="1")
    env.update(extra)
    return env


def gui_env(home: Path, model: Path | str, **extra: str) -> dict[str, str]:
    """Environment for the app served headless: isolated home, chosen model, no Flet or
    Tandem settings of the caller's, and no display (so no browser window opens)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANDEM_", "FLET_"))}
    env.pop("DISPLAY", None)
    env.update(TANDEM_HOME=str(home), TANDEM_LOCAL__MODEL=str(model))
    env.update(extra)
    return env


def stop_process(
    proc: subprocess.Popen[bytes], how: signal.Signals = signal.SIGINT, within_s: float = 15.0
) -> None:
    """Send `how` (Ctrl-C's SIGINT unless told) to `proc` if it still runs; kill it when it
    has not exited within `within_s`."""
    if proc.poll() is not None:
        return
    proc.send_signal(how)
    try:
        proc.wait(timeout=within_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_tandem(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `tandem ARGS` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


_WEB_URL = re.compile(r"Tandem is running at (http://\S+)")


def printed_web_url(output: str) -> str | None:
    """The link `tandem --web` printed for the user (with its launch secret), if printed yet."""
    found = _WEB_URL.search(output)
    return found.group(1) if found else None
