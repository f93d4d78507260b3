"""`tandem router profile --from-ledger`: the user's rated answers as a profile file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.cli import build_parser
from app.cli.router import run_router
from router.errors import TandemError
from router.learn.profile import load_profile
from router.ledger.feedback import FeedbackStore
from router.ledger.store import Ledger
from router.paths import TandemPaths
from router.types import RouteDecision, Usage


def _run(*argv: str) -> str:
    out = io.StringIO()
    assert run_router(build_parser().parse_args(["router", "profile", *argv]), out) == 0
    return out.getvalue()


def _rated_ledger(home: TandemPaths) -> None:
    ledger = Ledger(home.ledger_file)
    sid = ledger.create_session()
    store = FeedbackStore(ledger.db)
    ids = []
    for endpoint, kind in (("local", "local"), ("claude", "cloud")):
        route = RouteDecision(endpoint=endpoint, endpoint_kind=kind, policy="learned", reason="-")
        turn = ledger.begin_turn(sid, "capital of Australia?")
        ledger.finish_turn(turn.id, status="complete", answer="a", route=route, usage=Usage())
        ids.append(turn.id)
    store.rate(ids[0], good=False)
    store.record_pair(ids[0], ids[1])
    store.rate(ids[1], good=True)
    ledger.close()


def test_from_ledger_writes_a_valid_profile(tandem_home: TandemPaths, tmp_path: Path) -> None:
    _rated_ledger(tandem_home)
    out_file = tmp_path / "mine.jsonl"
    said = _run("--from-ledger", "--out", str(out_file))
    [record] = load_profile(out_file)
    assert {name: o.quality for name, o in record.endpoints.items()} == {
        "local": 0.0,
        "claude": 1.0,
    }
    assert "wrote 1 record (2 rated answers) from your ledger" in said


def test_from_ledger_without_ratings_says_how_to_get_some(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    with pytest.raises(TandemError) as raised:
        _run("--from-ledger", "--out", str(tmp_path / "mine.jsonl"))
    assert "no rated answers" in raised.value.message
    assert "/good" in raised.value.hint
    assert not (tmp_path / "mine.jsonl").exists()


def test_profile_needs_prompts_and_endpoints_unless_from_ledger(tmp_path: Path) -> None:
    with pytest.raises(TandemError) as raised:
        _run("--out", str(tmp_path / "p.jsonl"))
    assert "--prompts" in raised.value.message and "--from-ledger" in raised.value.hint
