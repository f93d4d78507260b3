"""packaging/mobile/check_phone_venv.py, offline: its phone driver and what it counts as failed.

The script itself needs PyPI (it installs the phone's packages into a scratch venv), so it
runs by hand. Here its phone driver (phone_turn_check.py) runs from a prepared app folder
on this interpreter with what the phone lacks blocked, against the loopback stand-in of
your Tandem, and the script's verdict is read on that run and on spoiled copies of it.
"""

from __future__ import annotations

import copy
import json
import os
import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest

from router.endpoints.function import EndpointCall, FunctionEndpoint
from tests.support.blocked import PHONE_LACKS, ROOT, last_json, run_blocked
from tests.support.lan_stub import LanStub, make_certificate, pairing_link, serve_stub

MOBILE = ROOT / "packaging" / "mobile"
SCRIPT = runpy.run_path(str(MOBILE / "check_phone_venv.py"))


def _answer(call: EndpointCall) -> str:
    return f"answered: {call.question}"


def _app_folder(into: Path) -> Path:
    (into / "assets").mkdir(parents=True)
    runpy.run_path(str(MOBILE / "prepare.py"))["prepare"](into)
    for name in ("src/main.py", "phone_turn_check.py"):
        shutil.copy2(MOBILE / name, into / Path(name).name)
    return into


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[list[str]]]:
    """The driver's report and the server's log for one phone run (shared: it takes seconds)."""
    folder = tmp_path_factory.mktemp("phone")
    app = _app_folder(folder / "app")
    stub = LanStub(make_certificate(folder))
    with serve_stub(stub, FunctionEndpoint(_answer, kind="local")) as port:
        env = {
            "PYTHONPATH": os.pathsep.join([str(app), str(ROOT)]),
            "PAIRING_LINK": pairing_link(port, stub.certificate.fingerprint),
            "QUESTIONS": json.dumps(SCRIPT["QUESTIONS"]),
        }
        done = run_blocked(
            "import runpy; runpy.run_path('phone_turn_check.py', run_name='__main__')",
            blocked=PHONE_LACKS,
            cwd=app,
            env=env,
        )
    log = [[path, body.decode()] for path, body in stub.requests]
    return last_json(done), log


def test_the_phone_driver_passes_every_check_from_a_prepared_folder(
    run: tuple[dict[str, Any], list[list[str]]],
) -> None:
    report, log = run
    # This interpreter is the suite's, where Tandem is installed (editable); the venv has none.
    assert SCRIPT["failures"](report, log) == ["FAILED: no Tandem distribution is installed"]
    assert report["artifacts"]["policies"] == {
        "learned": "LearnedPolicy",
        "budget": "BudgetPolicy",
        "cascade": "CascadePolicy",
    }


def test_a_card_number_on_the_wire_or_code_from_elsewhere_fails_the_check(
    run: tuple[dict[str, Any], list[list[str]]],
) -> None:
    report, log = copy.deepcopy(run)
    log.append(["/v1/messages", f"remember {SCRIPT['CARD']}"])
    report["code_in_app_folder"] = False
    report["artifacts"]["files"]["router_default.npz"] = False
    report["distributions"].append("tandem")
    assert SCRIPT["failures"](report, log) == [
        "FAILED: no card number reached the server",
        "FAILED: two chat requests reached the server",
        "FAILED: router and main.py came from the app folder",
        "FAILED: no Tandem distribution is installed",
        "FAILED: the routing artifacts are in the app folder",
    ]


def test_the_venv_gets_exactly_the_phone_apps_dependencies() -> None:
    import tomllib

    project = tomllib.loads((MOBILE / "pyproject.toml").read_text("utf-8"))["project"]
    assert SCRIPT["phone_requirements"]() == project["dependencies"]
