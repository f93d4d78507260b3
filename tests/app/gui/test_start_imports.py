"""What loading the app costs before it knows whether it serves a web view."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_loading_the_app_leaves_flet_s_web_server_unloaded() -> None:
    """The desktop window never needs FastAPI or Flet's web server: only a web view loads them."""
    probe = "import sys, app.gui.main; print('flet_web.fastapi' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
