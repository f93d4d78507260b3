"""The phone's side of packaging/mobile/check_phone_venv.py: pair, ask, report (JSON).

check_phone_venv.py copies this file into a folder that `prepare.py` filled and runs
it there with the scratch venv's Python, which has only the phone app's dependencies
installed: what this imports comes from that folder and those packages, or fails.
It pairs with the link in PAIRING_LINK, asks the questions in QUESTIONS through
"my Tandem", loads the routing policies whose artifacts router/policy reads beside
its code, and prints one JSON object. Standard library and the copied code only.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata as md
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

APP_FOLDER = Path(__file__).resolve().parent
ARTIFACT_POLICIES = ("learned", "budget", "cascade")
"""The policies that read the shipped routing artifacts (assets/*.npz, *.json)."""


async def ask(runtime: Any, text: str) -> dict[str, str]:
    """One turn: the answer and the endpoint that gave it, or the error the phone shows."""
    from router.turn.events import TurnFinished
    from router.types import TurnRequest

    try:
        async for event in runtime.pipeline.run_turn(TurnRequest(text=text, session_id="s")):
            if isinstance(event, TurnFinished):
                route = event.turn.route
                return {"answer": event.turn.answer, "endpoint": route.endpoint if route else ""}
    except Exception as exc:  # the phone shows the error; the report carries it
        return {"error": str(exc)}
    return {"error": "the turn ended without an answer"}


def routing_artifacts(runtime: Any) -> dict[str, Any]:
    """Where router/policy finds its shipped files, and the policies built from them."""
    from router.policy import budget_planner, cascade_artifact, quality_model, trained_router
    from router.policy.factory import cascade_threshold, policy_for

    files = [
        budget_planner.DEFAULT_PLANNER,
        cascade_artifact.DEFAULT_CASCADE,
        quality_model.DEFAULT_LEARNED,
        trained_router.DEFAULT_ROUTER,
    ]
    routing = runtime.settings.routing
    policies = {
        name: type(policy_for(name, routing.model_copy(update={"policy": name}))).__name__
        for name in ARTIFACT_POLICIES
    }
    return {
        "files": {f.name: f.is_file() and f.resolve().is_relative_to(APP_FOLDER) for f in files},
        "policies": policies,
        "cascade_threshold": cascade_threshold(routing)[1],
    }


async def main() -> None:
    """Pair, ask each question, and print what happened as one JSON line."""
    import router
    from app.mobile.pairing import pair, parse_pairing_link
    from app.mobile.runtime import build_phone_runtime
    from app.mobile.store import PhoneStore
    from router.paths import resolve_paths

    paths = resolve_paths(tempfile.mkdtemp(prefix="tandem-phone-home-")).ensure()
    store = PhoneStore.for_paths(paths)
    store.save_pairing(await pair(parse_pairing_link(os.environ["PAIRING_LINK"]), "Venv phone"))
    runtime = await build_phone_runtime(paths, store)
    try:
        replies = [await ask(runtime, text) for text in json.loads(os.environ["QUESTIONS"])]
        ledger = [[t.user_text, t.answer] for t in runtime.ledger.turns("s")]
        artifacts = routing_artifacts(runtime)
    finally:
        await runtime.aclose()
    phone_entry = importlib.import_module("main")  # what `flet build` runs: it must import
    code = [router.__file__, str(phone_entry.__file__)]
    report = {
        "python": sys.version.split()[0],
        "replies": replies,
        "ledger": ledger,
        "artifacts": artifacts,
        "code_in_app_folder": all(Path(f).resolve().is_relative_to(APP_FOLDER) for f in code),
        "distributions": sorted(d.metadata["Name"].lower() for d in md.distributions()),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main())
