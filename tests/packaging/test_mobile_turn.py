"""The phone app's turn, end to end, on an interpreter without the heavy packages (issue 20, 4b).

The phone runs in a fresh interpreter whose imports of everything the phone app
does not install fail (tests/support/blocked.py `NOT_ON_THE_PHONE`: llama_cpp,
chromadb, onnxruntime, spaCy, keyring, psutil, OpenCV, torch, the MCP SDK, the edge
server's starlette and uvicorn, the attachment readers...). It pairs, then asks
three questions through "my Tandem": once the loopback HTTPS stand-in of
tests/support/lan_stub.py (issue 20's pairing API, router/edge/server.py's app
behind the token), whose request log holds every byte that reached it; once the
real `LanService` of app/lan, where the desktop model's requests are the log.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from app.lan.service import LanService
from router.endpoints.function import EndpointCall, FunctionEndpoint
from router.paths import resolve_paths
from router.runtime.compose import build_runtime
from router.settings.config import load_settings
from tests.support.blocked import PHONE_LACKS, last_json, run_blocked
from tests.support.lan_stub import LanStub, make_certificate, pairing_link, serve_stub

CARD = "4111 1111 1111 1111"
EMAIL = "anna.kowalski@example.org"

PHONE = """
import asyncio, json, os
from app.mobile.pairing import pair, parse_pairing_link
from app.mobile.runtime import build_phone_runtime
from app.mobile.store import PhoneStore
from router.paths import resolve_paths
from router.turn.events import TurnFinished
from router.types import TurnRequest
from tests.support.blocked import PHONE_LACKS, loaded_heavy

async def ask(runtime, text):
    try:
        async for event in runtime.pipeline.run_turn(TurnRequest(text=text, session_id="s")):
            if isinstance(event, TurnFinished):
                return {"answer": event.turn.answer, "endpoint": event.turn.route.endpoint}
    except Exception as exc:
        return {"error": str(exc)}

async def main():
    paths = resolve_paths(os.environ["TANDEM_HOME"]).ensure()
    store = PhoneStore.for_paths(paths)
    store.save_pairing(await pair(parse_pairing_link(os.environ["PAIRING_LINK"]), "Test phone"))
    runtime = await build_phone_runtime(paths, store)
    replies = [await ask(runtime, text) for text in json.loads(os.environ["QUESTIONS"])]
    ledger = [(t.user_text, t.answer) for t in runtime.ledger.turns("s")]
    await runtime.aclose()
    print(json.dumps({"replies": replies, "ledger": ledger, "loaded": loaded_heavy(PHONE_LACKS)}))

asyncio.run(main())
"""


QUESTIONS = [
    "What is the capital of France?",
    f"My card number is {CARD}, can you remember it?",
    f"Please draft a short note to {EMAIL} about the trip.",
]


def _answer(call: EndpointCall) -> str:
    return f"answered: {call.question}"


def _phone(home: Path, link: str) -> dict[str, Any]:
    """Run the phone in an interpreter without what the phone app does not install."""
    env = {"TANDEM_HOME": str(home), "PAIRING_LINK": link, "QUESTIONS": json.dumps(QUESTIONS)}
    report: dict[str, Any] = last_json(run_blocked(PHONE, blocked=PHONE_LACKS, env=env))
    return report


def _check(report: dict[str, Any], received: str) -> None:
    """The answer came, the ledger has it, and nothing kept private reached `received`."""
    first, card, email = report["replies"]
    assert first == {"answer": f"answered: {QUESTIONS[0]}", "endpoint": "home"}
    assert "must stay on this device" in card["error"] and "card number" in card["error"]
    assert email["endpoint"] == "home" and EMAIL in email["answer"]  # restored on the phone
    assert [q for q, _ in report["ledger"]] == [QUESTIONS[0], QUESTIONS[2]]
    assert report["ledger"][0][1] == first["answer"]
    assert "capital of France" in received  # the log does hold what was sent
    assert CARD not in received and CARD.replace(" ", "") not in received
    assert EMAIL not in received and "anna.kowalski" not in received
    assert report["loaded"] == []


def test_a_phone_turn_reaches_my_tandem_and_a_card_number_never_does(tmp_path: Path) -> None:
    stub = LanStub(make_certificate(tmp_path))
    with serve_stub(stub, FunctionEndpoint(_answer, kind="local")) as port:
        report = _phone(tmp_path / "phone", pairing_link(port, stub.certificate.fingerprint))
    _check(report, b"\n".join(body for _, body in stub.requests).decode())
    assert [path for path, _ in stub.requests].count("/v1/messages") == 2


async def test_the_phone_pairs_with_the_real_lan_server_and_asks_through_it(
    tmp_path: Path,
) -> None:
    desktop = resolve_paths(tmp_path / "desktop").ensure()
    model = FunctionEndpoint(_answer, name="local", kind="local")
    settings = load_settings(desktop)
    settings = settings.model_copy(
        update={"memory": settings.memory.model_copy(update={"enabled": False})}
    )
    runtime = build_runtime(desktop, settings, endpoints={"local": model})
    lan = LanService(runtime)
    lan.web_app = Starlette()  # the Flet app is not needed for the edge API
    try:
        status = await lan.start(port=0, host="127.0.0.1")
        assert status.pairing_url is not None, status.error
        report = await asyncio.to_thread(_phone, tmp_path / "phone", status.pairing_url)
        assert [device.name for device in lan.devices().list()] == ["Test phone"]
    finally:
        await lan.stop()
        await runtime.aclose()
    _check(report, "\n".join(m.content for call in model.calls for m in call.messages))
