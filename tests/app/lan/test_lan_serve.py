"""The real `python -m app.gui.main --lan`: a phone pairs over HTTPS, the desktop tab still works.

One process serves the test with a tiny model; the LAN view listens on loopback under the
name `tandem-test.lan` (TANDEM_LAN_NAMES), and httpx plays the phone, trusting exactly the
certificate Tandem made in its data folder.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.gui.main import free_port
from tests.app.cli_support import gui_env, printed_web_url, stop_process

REPO = Path(__file__).resolve().parents[3]
START_WITHIN_S = 90.0
_CODE = re.compile(r"Pairing code: (\S+) ")


def _wait_for(proc: subprocess.Popen[bytes], log: Path, pattern: re.Pattern[str]) -> str:
    deadline = time.monotonic() + START_WITHIN_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}:\n{log.read_text()}"
        found = pattern.search(log.read_text(errors="replace"))
        if found:
            return found.group(1)
        time.sleep(0.3)
    pytest.fail(f"never printed {pattern.pattern}; its output:\n{log.read_text()}")


def test_a_phone_pairs_with_the_lan_view_and_the_desktop_tab_still_works(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    port, home, log = free_port(), tmp_path / "home", tmp_path / "gui.log"
    env = gui_env(home, tiny_gguf, TANDEM_LAN_NAMES="tandem-test.lan")
    command = ["--lan", "--port", str(port), "--lan-host", "127.0.0.1"]
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.gui.main", *command], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        code = _wait_for(proc, log, _CODE)
        _wait_for(proc, log, re.compile(r"(Tandem is running at)"))
        printed = log.read_text()
        assert f"Phones on your network: https://tandem-test.lan:{port}/" in printed
        trust = ssl.create_default_context(cafile=str(home / "data" / "lan" / "cert.pem"))
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust, timeout=10) as phone:
            unpaired = phone.get("/", headers={"Accept": "text/html"})
            assert unpaired.status_code == 401 and "flutter" not in unpaired.text.lower()
            paired = phone.post("/pair", data={"code": code, "name": "Pixel 7"})
            assert paired.status_code == 303, paired.text
            assert "flutter" in phone.get("/").text.lower()
        link = printed_web_url(printed)
        assert link is not None and link.startswith("http://127.0.0.1:")
        with httpx.Client(follow_redirects=True, timeout=10) as desktop:
            assert "flutter" in desktop.get(link).text.lower()
        _wait_for(proc, log, re.compile(r"(Paired: Pixel 7)"))
    finally:
        stop_process(proc)
