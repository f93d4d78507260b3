"""Steps for the phone scenarios: the app served with `--lan`, phones that reach it by name.

`start_lan_app` runs `python -m app.gui.main --web --lan` on loopback under the name
`tandem-test.lan` (TANDEM_LAN_NAMES, so the certificate and the Host check accept it);
`phone_browser_args` maps that name to 127.0.0.1 in Chromium and trusts exactly the
certificate the app made (its public key's SHA-256, `--ignore-certificate-errors-spki-list`),
so no certificate error is ignored but that one. `pairing_link` reads the link the way a
phone does: from the QR code the app printed, decoded with OpenCV.
"""

from __future__ import annotations

import base64
import hashlib
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Page, expect

from app.gui.main import free_port
from tests.app.cli_support import gui_env, run_tandem, stop_process, tandem_env
from tests.e2e.conftest import CHROMIUM_ARGS, REPO, wait_for_app, wait_until_serving

LAN_NAME = "tandem-test.lan"
STOP_WITHIN_S = 15.0
PHONE_MODELS = ("Pixel 7", "iPhone 13")
BERLIN = {"latitude": 52.52, "longitude": 13.405, "accuracy": 25}
_QR_LINE = re.compile(r"^[█▀▄ ]{20,}$")
_FINGERPRINT = re.compile(r"Certificate fingerprint \(SHA-256\): ([0-9A-F:]{95})")
_WEBSOCKET_OUTCOME = """(url) => new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.onopen = () => { socket.close(); resolve('open'); };
    socket.onclose = () => resolve('refused');  // closed before it opened: the handshake failed
})"""
"""Open a websocket from the page (its cookies and Origin go with it): 'open' or 'refused'."""
_SEMANTICS_AT_START_ON_A_PHONE = """new MutationObserver((changes, observer) => {
    const placeholder = document.querySelector('flt-semantics-placeholder');
    if (placeholder) {
        observer.disconnect();
        const box = placeholder.getBoundingClientRect();
        placeholder.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true,
            clientX: box.left + box.width / 2, clientY: box.top + box.height / 2}));
    }
}).observe(document, {childList: true, subtree: true});"""
"""conftest.open_app's semantics switch, for a phone: with a phone's user agent Flutter takes
only a click at the placeholder's very centre (where a screen reader taps), not any click."""


@dataclass
class LanApp:
    """The running app: its LAN address, data folder and everything it printed."""

    proc: subprocess.Popen[bytes]
    port: int
    home: Path
    log: Path
    model: Path
    desktop_url: str = ""
    """The loopback link (with its launch secret) printed for the desktop's own browser."""

    @property
    def url(self) -> str:
        """The LAN view's address, as a phone reaches it: https://tandem-test.lan:PORT/."""
        return f"https://{LAN_NAME}:{self.port}/"

    @property
    def cert_path(self) -> Path:
        """The certificate the app made in its data folder."""
        return self.home / "data" / "lan" / "cert.pem"

    def output(self) -> str:
        """Everything the app printed so far."""
        return self.log.read_text(errors="replace")

    def fingerprint(self) -> str:
        """The certificate fingerprint the app printed ("AB:CD:...")."""
        found = _FINGERPRINT.search(self.output())
        assert found, f"no fingerprint printed:\n{self.output()}"
        return found.group(1)


def start_lan_app(home: Path, log: Path, model: Path) -> LanApp:
    """Launch the app with `--web --lan` on a free loopback port; wait until both views serve."""
    port = free_port()
    env = gui_env(home, model, TANDEM_LAN_NAMES=LAN_NAME)  # headless: no browser window
    argv = [sys.executable, "-m", "app.gui.main", "--web", "--lan", "--port", str(port),
            "--lan-host", "127.0.0.1"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    app = LanApp(proc, port, home, log, model)
    try:
        # The LAN view is up before the link is printed, and the LAN view's Flet sessions
        # run on the loopback server's lifespan: the link served means both serve.
        app.desktop_url = wait_until_serving(app.log, app.proc, who="the app")
    except BaseException:
        stop_lan_app(app)
        raise
    return app


def stop_lan_app(app: LanApp) -> None:
    """Stop the app (SIGTERM, then kill)."""
    stop_process(app.proc, signal.SIGTERM, STOP_WITHIN_S)


def spki_sha256(cert_path: Path) -> str:
    """Base64 SHA-256 of the certificate's SubjectPublicKeyInfo: what Chromium pins by."""
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def phone_browser_args(app: LanApp) -> list[str]:
    """Chromium's flags: the e2e set, the LAN name on loopback, the app's certificate trusted."""
    return [
        *CHROMIUM_ARGS,
        f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={spki_sha256(app.cert_path)}",
    ]


def phone_context_options(descriptor: dict[str, Any]) -> dict[str, Any]:
    """A Playwright device descriptor for Chromium (both phones run on Chromium here), with
    the phone's location emulated and its camera and location allowed."""
    options = {k: v for k, v in descriptor.items() if k != "default_browser_type"}
    options.update(geolocation=BERLIN, permissions=["geolocation", "camera"])
    return options


def pairing_link(app: LanApp) -> str:
    """The link in the QR code the app printed last (the current code), read as a phone
    camera would: the terminal's block characters drawn as pixels and decoded by OpenCV."""
    blocks = _last_qr_block(app.output())
    assert blocks, f"no QR code printed:\n{app.output()}"
    rows: list[list[bool]] = []
    for line in blocks:  # each character is two modules, one over the other; a block is light
        rows.append([c in "█▀" for c in line])
        rows.append([c in "█▄" for c in line])
    width = max(len(row) for row in rows)
    pixels = np.array([row + [True] * (width - len(row)) for row in rows], dtype=np.uint8) * 255
    pixels = np.kron(pixels, np.ones((8, 8), dtype=np.uint8))  # the code's own quiet zone stays
    # The ArUco-based detector: OpenCV's classic one missed 14 of 200 random pairing links.
    link, _points, _straight = cv2.QRCodeDetectorAruco().detectAndDecode(pixels)
    assert link, "the printed QR code could not be decoded"
    return str(link)


def _last_qr_block(output: str) -> list[str]:
    blocks: list[list[str]] = []
    previous_was_qr = False
    for line in output.splitlines():
        is_qr = bool(_QR_LINE.match(line))
        if is_qr and not previous_was_qr:
            blocks.append([])
        if is_qr:
            blocks[-1].append(line)
        previous_was_qr = is_qr
    return blocks[-1] if blocks else []


def pair_phone(page: Page, app: LanApp, name: str) -> None:
    """Open the QR's link on `page` (its code fills the form), name the phone and pair; wait
    until the app shows."""
    link = pairing_link(app)
    # The form redirects to the app: semantics on from its start (see conftest.open_app).
    page.add_init_script(_SEMANTICS_AT_START_ON_A_PHONE)
    page.goto(link)
    expect(page.get_by_label("Pairing code")).not_to_have_value("")
    page.get_by_label("Name of this phone").fill(name)
    page.get_by_role("button", name="Pair").tap()
    wait_for_app(page)


def websocket_outcome(page: Page, app: LanApp) -> str:
    """Open Flet's websocket (`/ws`) as `page`'s phone would: 'open' or 'refused'."""
    return str(_in_probe_tab(page, app, _WEBSOCKET_OUTCOME, f"wss://{LAN_NAME}:{app.port}/ws"))


def fetch_status(page: Page, app: LanApp, path: str) -> int:
    """The HTTP status the server gives `page`'s phone for `path` (its cookies go with the
    request; not from the phone's cache, which keeps the app's files it loaded before)."""
    script = "(url) => fetch(url, {cache: 'no-store'}).then((r) => r.status)"
    return int(_in_probe_tab(page, app, script, path))


def _in_probe_tab(page: Page, app: LanApp, script: str, arg: str) -> Any:
    """Evaluate `script(arg)` in a second tab of the same phone (its cookies, Origin, Host and
    name resolution), opened on the app's manifest: the pairing page's
    Content-Security-Policy lets no script connect anywhere, so a request sent from there
    would fail whatever the server answered."""
    probe = page.context.new_page()
    try:
        probe.goto(f"{app.url}manifest.webmanifest")
        return probe.evaluate(script, arg)
    finally:
        probe.close()


def expect_pairing_page(page: Page, *, unpaired: bool) -> None:
    """The pairing page shows (and, for a phone that asked for the app, says it is unpaired)."""
    expect(page.get_by_role("heading", name="Pair this phone with Tandem")).to_be_visible()
    lead = page.get_by_text("This phone is not paired with this Tandem", exact=False)
    expect(lead).to_have_count(1 if unpaired else 0)
    expect(page.locator("flutter-view, flt-glass-pane")).to_have_count(0)


def devices(app: LanApp, *args: str) -> str:
    """Run `tandem devices ARGS` on the app's data folder; its output."""
    done = run_tandem("devices", *args, env=tandem_env(app.home, app.model), timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def device_id(app: LanApp, name: str) -> str:
    """The id `tandem devices list` shows for the phone called `name`."""
    rows = [line for line in devices(app, "list").splitlines() if name in line]
    assert len(rows) == 1, f"{name!r} is not listed once:\n{devices(app, 'list')}"
    return rows[0].split()[0]
