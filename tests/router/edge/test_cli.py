"""`tandem edge serve` end to end, as a user runs it: start, answer, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import anthropic
import pytest

from router.paths import TandemPaths

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("key_from", ["flag", "env"])
def test_edge_serve_prints_its_address_answers_and_stops_on_ctrl_c(
    tandem_home: TandemPaths, tiny_gguf: Path, key_from: str
) -> None:
    key = "cli-secret-key-0d8e2a"
    command = [sys.executable, "-m", "app.cli", "edge", "serve", "--model", str(tiny_gguf),
               "--port", "0"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TANDEM_LOCAL__N_CTX": "1024"}
    if key_from == "flag":
        command += ["--api-key", key]
    else:
        env["TANDEM_EDGE_API_KEY"] = key
    process = subprocess.Popen(command, cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stdout is not None
    shown = []
    try:
        for line in process.stdout:  # the banner ends with the snippet's last lines
            shown.append(line)
            if line.startswith("# this server needs its key"):
                break
        banner = "".join(shown)
        match = re.search(r'base_url = "(http://127\.0\.0\.1:(\d+))"', banner)
        assert match, banner
        assert "context_window = 1024" in banner
        client = anthropic.Anthropic(base_url=match.group(1), api_key=key, max_retries=0)
        assert [m.id for m in client.models.list()] == ["tandem-edge"]
        with pytest.raises(anthropic.AuthenticationError):
            anthropic.Anthropic(
                base_url=match.group(1), api_key="nope", max_retries=0
            ).models.list()
        answer = client.messages.create(model="tandem-edge", max_tokens=3, messages=[
            {"role": "user", "content": "hi"}])  # fmt: skip
        assert answer.usage.output_tokens > 0
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "edge server stopped" in err
    assert key not in banner + out + err
