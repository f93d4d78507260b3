"""Prove the phone app's dependency list on real packages: a phone turn in a bare venv.

    python3.12 packaging/mobile/check_phone_venv.py [--desktop-python .venv/bin/python]

1. Creates a scratch venv with the Python running this script (use 3.12, the Python
   `flet build` bundles) and installs exactly `[project].dependencies` of
   packaging/mobile/pyproject.toml into it, binary wheels only, as the build does
   (pip's cache is used; this needs PyPI). No Tandem distribution is installed there.
2. Runs packaging/mobile/prepare.py into a scratch app folder, adds src/main.py and
   phone_turn_check.py, and runs the latter from there with the venv's Python:
   it pairs with a loopback HTTPS edge server, asks three questions through "my
   Tandem", and loads the routing policies whose artifacts router/policy reads beside
   its code (assets/*.npz, *.json).
3. The edge server is your Tandem's side: tests/support/lan_stub.py (router/edge's app
   behind the pairing API) run by `--desktop-python`, a Python with Tandem installed
   (default: the README's .venv). Its request log is every byte that reached it.

Exits 0 when the answers came back, a card number was refused on the phone and never
reached the server, an e-mail address left only as a placeholder, the copied code and
the routing artifacts were found in the app folder; else 1, one line per failure.
Needs the network for pip, so it runs by hand, not in CI (packaging/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MOBILE = ROOT / "packaging" / "mobile"
CARD = "4111 1111 1111 1111"
EMAIL = "anna.kowalski@example.org"
QUESTIONS = [
    "What is the capital of France?",
    f"My card number is {CARD}, can you remember it?",
    f"Please draft a short note to {EMAIL} about the trip.",
]


def phone_requirements() -> list[str]:
    """The requirements `flet build` installs on both platforms: `[project].dependencies`."""
    project = tomllib.loads((MOBILE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [str(r) for r in project["dependencies"]]


def make_venv(scratch: Path) -> Path:
    """A venv with exactly the phone's requirements, binary wheels only; its Python."""
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--only-binary=:all:", *phone_requirements()], check=True)
    frozen = subprocess.run([*pip, "freeze"], check=True, capture_output=True, text=True)
    print(f"installed into the venv ({len(frozen.stdout.split())} packages):")
    print("  " + " ".join(frozen.stdout.split()))
    return python


def prepare_app(scratch: Path, python: Path) -> Path:
    """An app folder as `flet build` packages it, plus the phone driver."""
    app = scratch / "app"
    (app / "assets").mkdir(parents=True)
    subprocess.run([str(python), str(MOBILE / "prepare.py"), "--into", str(app)], check=True)
    shutil.copy2(MOBILE / "src" / "main.py", app / "main.py")
    shutil.copy2(MOBILE / "phone_turn_check.py", app / "phone_turn_check.py")
    return app


def serve(log_file: Path) -> None:
    """The edge server's role (run by the desktop Python): serve until stdin closes."""
    sys.path.insert(0, str(ROOT))
    from router.endpoints.function import EndpointCall, FunctionEndpoint
    from tests.support.lan_stub import LanStub, make_certificate, pairing_link, serve_stub

    def answer(call: EndpointCall) -> str:
        return f"answered: {call.question}"

    with tempfile.TemporaryDirectory() as folder:
        stub = LanStub(make_certificate(Path(folder)))
        with serve_stub(stub, FunctionEndpoint(answer, kind="local")) as port:
            print(pairing_link(port, stub.certificate.fingerprint), flush=True)
            sys.stdin.read()  # until the orchestrator is done with the phone
        log = [[path, body.decode("utf-8", "replace")] for path, body in stub.requests]
        log_file.write_text(json.dumps(log), encoding="utf-8")


def run_phone(app: Path, python: Path, desktop: Path, scratch: Path) -> tuple[Any, list[Any]]:
    """Start the edge server, run the phone against it; (the phone's report, the log)."""
    log_file = scratch / "edge_requests.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [str(desktop), __file__, "--serve", str(log_file)]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        link = server.stdout.readline().strip()
        if not link.startswith("https://"):
            raise SystemExit(f"the edge server did not start (it printed {link!r})")
        phone_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        phone_env |= {"PAIRING_LINK": link, "QUESTIONS": json.dumps(QUESTIONS)}
        done = subprocess.run(
            [str(python), "-E", "-s", str(app / "phone_turn_check.py")],
            cwd=app,
            env=phone_env,
            capture_output=True,
            text=True,
            check=False,
        )
        server.stdin.close()
        server.wait(timeout=60)
    if done.returncode != 0:
        print(done.stdout + done.stderr)
        raise SystemExit(f"FAILED: the phone exited {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1]), json.loads(log_file.read_text())


def failures(report: dict[str, Any], log: list[list[str]]) -> list[str]:
    """What went wrong in the phone's report and the server's log, one line each."""
    first, card, email = report["replies"]
    received = "\n".join(body for _, body in log)
    checks = {
        "the first answer came from my Tandem": first
        == {"answer": f"answered: {QUESTIONS[0]}", "endpoint": "home"},
        "the card number was refused on the phone": "must stay on this device"
        in card.get("error", ""),
        "the e-mail address came back restored": email.get("endpoint") == "home"
        and EMAIL in email.get("answer", ""),
        "the ledger holds the two answered turns": [q for q, _ in report["ledger"]]
        == [QUESTIONS[0], QUESTIONS[2]],
        "the server got the first question": "capital of France" in received,
        "no card number reached the server": CARD not in received
        and CARD.replace(" ", "") not in received,
        "no e-mail address reached the server": EMAIL not in received
        and "anna.kowalski" not in received,
        "two chat requests reached the server": [p for p, _ in log].count("/v1/messages") == 2,
        "router and main.py came from the app folder": report["code_in_app_folder"],
        "no Tandem distribution is installed": not {"tandem", "tandem-mobile"}
        & set(report["distributions"]),
        "the routing artifacts are in the app folder": all(report["artifacts"]["files"].values()),
        "the cascade threshold is the fitted one": report["artifacts"]["cascade_threshold"]
        == "fitted",
    }
    return [f"FAILED: {what}" for what, ok in checks.items() if not ok]


def main() -> int:
    """Build the venv and the app folder, run the phone turn, say what passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--desktop-python", type=Path, default=ROOT / ".venv" / "bin" / "python")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    if not args.desktop_python.is_file():
        print(f"{args.desktop_python} does not exist: pass --desktop-python, a Python with "
              "Tandem installed (the README's .venv), for your Tandem's side.")  # fmt: skip
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="tandem-phone-venv-"))
    try:
        python = make_venv(scratch)
        report, log = run_phone(prepare_app(scratch, python), python, args.desktop_python, scratch)
        print(f"phone: Python {report['python']}; replies: {json.dumps(report['replies'])}")
        print(f"routing artifacts: {json.dumps(report['artifacts'])}")
        print(f"edge server received: {[path for path, _ in log]}")
        problems = failures(report, log)
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(problems) or "OK: the phone turn ran on the phone app's packages alone.")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
