"""The terminal chat's /good, /bad, /cloud and /local: ratings that change the next route."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import chat
from router.ledger.feedback import FeedbackStore
from router.ledger.store import Ledger
from router.paths import TandemPaths
from router.runtime.compose import Runtime
from tests.support.tiers import ASKED, SECRET, SIMILAR
from tests.support.tiers import two_tier_runtime as _runtime

SESSION = "chat"


def _chat(monkeypatch: pytest.MonkeyPatch, runtime: Runtime, *lines: str) -> None:
    """Type `lines` at the chat's prompt, then end the input."""
    typed: Iterator[str] = iter(lines)

    def next_line(prompt: str) -> str:
        line = next(typed, None)
        if line is None:
            raise EOFError
        return line

    monkeypatch.setattr(chat, "input_line", next_line)
    with asyncio.Runner() as runner:
        try:
            assert chat._interactive(runner, runtime, SESSION) == 0
        finally:
            runner.run(runtime.aclose())


def test_help_lists_the_feedback_commands(
    tandem_home: TandemPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime, _ = _runtime(tandem_home, tmp_path)
    _chat(monkeypatch, runtime, "/help")
    shown = capsys.readouterr().err
    for command in ("/good", "/bad", "/cloud", "/local", "/new", "/quit"):
        assert command in shown


def test_a_bad_rating_sends_the_next_similar_question_to_the_cloud(
    tandem_home: TandemPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, cloud = _runtime(tandem_home, tmp_path)
    _chat(monkeypatch, runtime, ASKED, "/bad", SIMILAR)
    turns = Ledger(tandem_home.ledger_file).turns(SESSION)
    routes = [t.route for t in turns]
    assert [r.endpoint for r in routes if r] == ["local", "claude"]
    assert (
        routes[1] is not None
        and "your ratings: cloud better on similar prompts" in routes[1].reason
    )
    assert len(cloud.calls) == 1


def test_cloud_answers_the_last_question_again_and_good_rates_that_answer(
    tandem_home: TandemPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, _ = _runtime(tandem_home, tmp_path)
    _chat(monkeypatch, runtime, ASKED, "/bad", "/cloud", "/good")
    ledger = Ledger(tandem_home.ledger_file)
    store = FeedbackStore(ledger.db)
    first, again = ledger.turns(SESSION)
    assert again.user_text == ASKED and again.route is not None
    assert again.route.endpoint == "claude"
    [pair] = store.pairs()
    assert (pair.turn_id, pair.reanswer_id, pair.preferred_id) == (first.id, again.id, again.id)
    assert {r.turn_id: r.good for r in store.ratings()} == {first.id: False, again.id: True}


def test_a_kept_local_question_refuses_cloud_and_nothing_leaves(
    tandem_home: TandemPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime, cloud = _runtime(tandem_home, tmp_path)
    _chat(monkeypatch, runtime, SECRET, "/cloud")
    shown = capsys.readouterr().err
    ledger = Ledger(tandem_home.ledger_file)
    assert (
        "A privacy rule keeps this question on this device, so the cloud cannot answer it." in shown
    )
    [turn] = ledger.turns(SESSION)
    assert turn.route is not None and turn.route.endpoint == "local"
    assert cloud.calls == []
    assert ledger.sent.for_turn(turn.id) == () and ledger.outbound.recent() == []


def test_rating_before_any_answer_says_there_is_none(
    tandem_home: TandemPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime, _ = _runtime(tandem_home, tmp_path)
    _chat(monkeypatch, runtime, "/good", "/local")
    assert capsys.readouterr().err.count("No answer yet") == 2
    assert FeedbackStore(tandem_home.ledger_file).ratings() == []
