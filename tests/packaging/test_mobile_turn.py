"""The phone app's turn, end to end, on an interpreter without the heavy packages (issue 20, 4b).

The phone runs in a fresh interpreter whose imports of llama_cpp, chromadb,
onnxruntime, spaCy, keyring, psutil, OpenCV and torch fail. It pairs with a
loopback HTTPS stand-in for `tandem --web --lan` (tests/support/lan_stub.py: real
TLS, the pairing API of issue 20, router/edge/server.py's app behind the token)
and asks through it. The stand-in's request log shows what reached "my Tandem".
"""

from __future__ import annotations

import json
from pathlib import Path

from router.endpoints.function import EndpointCall, FunctionEndpoint
from tests.support.blocked import last_json, run_blocked
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
from tests.support.blocked import loaded_heavy

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
    print(json.dumps({"replies": replies, "ledger": ledger, "loaded": loaded_heavy()}))

asyncio.run(main())
"""


def _answer(call: EndpointCall) -> str:
    return f"answered: {call.question}"


def test_a_phone_turn_reaches_my_tandem_and_a_card_number_never_does(tmp_path: Path) -> None:
    stub = LanStub(make_certificate(tmp_path))
    desktop_model = FunctionEndpoint(_answer, kind="local")
    questions = [
        "What is the capital of France?",
        f"My card number is {CARD}, can you remember it?",
        f"Please draft a short note to {EMAIL} about the trip.",
    ]
    with serve_stub(stub, desktop_model) as port:
        done = run_blocked(
            PHONE,
            env={
                "TANDEM_HOME": str(tmp_path / "phone"),
                "PAIRING_LINK": pairing_link(port, stub.certificate.fingerprint),
                "QUESTIONS": json.dumps(questions),
            },
        )
    report = last_json(done)
    first, card, email = report["replies"]
    assert first == {"answer": f"answered: {questions[0]}", "endpoint": "home"}
    assert "must stay on this device" in card["error"] and "card number" in card["error"]
    assert email["endpoint"] == "home" and EMAIL in email["answer"]  # restored on the phone
    assert [q for q, _ in report["ledger"]] == [questions[0], questions[2]]
    assert report["ledger"][0][1] == first["answer"]
    received = b"\n".join(body for _, body in stub.requests).decode()
    assert "capital of France" in received  # the log does hold what was sent
    assert CARD not in received and CARD.replace(" ", "") not in received
    assert EMAIL not in received and "anna.kowalski" not in received
    assert [path for path, _ in stub.requests].count("/v1/messages") == 2
    assert report["loaded"] == []
