"""`tandem memory search|rebuild|stats` over a ledger in an isolated TANDEM_HOME."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from app.cli import main
from app.cli.memory import run_rebuild, run_search
from router.ledger.store import Ledger
from router.paths import TandemPaths
from router.types import RouteDecision
from tests.app.cli_support import run_tandem, tandem_env
from tests.router.memory.conftest import chroma_server  # noqa: F401 (a fixture)

TURNS = [
    ("How do I keep my sourdough starter alive?", "Feed it flour and water every day."),
    ("What's the tallest mountain in Africa?", "Kilimanjaro, 5,895 m."),
    ("My diagnosis is type 2 diabetes, what should I eat?", "Fibre-rich food, few sugars."),
]


def _fill(paths: TandemPaths) -> list[str]:
    """Two conversations in the ledger (Bread: two turns, Health: one); returns their ids."""
    ledger = Ledger(paths.ledger_file)
    sessions = [ledger.create_session("Bread"), ledger.create_session("Health")]
    for n, (question, answer) in enumerate(TURNS):
        session = sessions[0] if n < 2 else sessions[1]
        turn = ledger.begin_turn(session, question)
        privacy = {2: "keep_local", 1: "keep_mine"}.get(n, "allow")
        route = RouteDecision(
            endpoint="local",
            endpoint_kind="local",
            policy="p",
            reason="r",
            privacy_action=privacy,
        )
        ledger.finish_turn(turn.id, status="complete", answer=answer, route=route, usage=None)
    ledger.close()
    return sessions


def test_rebuild_then_search_prints_hits(
    tandem_home: TandemPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(tandem_home)
    assert main(["memory", "rebuild"]) == 0
    captured = capsys.readouterr()
    assert "indexed 3 turns from 2 conversations (device)" in captured.out
    assert "100% 3/3 turns" in captured.err

    assert main(["memory", "search", "feeding a bread starter", "-k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    score, rest = lines[0].split("  ", 1)
    assert 0 < float(score) <= 1
    assert rest.startswith("Bread (") and rest.endswith("#0")
    assert lines[1].strip() == f"{TURNS[0][0]} → {TURNS[0][1]}"


def test_search_marks_keep_local_and_filters_by_session(tandem_home: TandemPaths) -> None:
    bread, _ = _fill(tandem_home)
    run_rebuild(out=io.StringIO(), progress_stream=io.StringIO())
    out = io.StringIO()
    assert run_search("diet for diabetes", k=1, out=out) == 0
    assert "[keep-local]" in out.getvalue().splitlines()[0]
    assert "Health (" in out.getvalue()
    out = io.StringIO()
    assert run_search("the tallest mountain in Africa", k=1, out=out) == 0
    assert out.getvalue().splitlines()[0].endswith("#1  [keep-mine]")

    out = io.StringIO()
    assert run_search("diabetes", session=bread, k=5, as_json=True, out=out) == 0
    hits = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(hits) == 2
    assert {(h["session_id"], h["session_title"]) for h in hits} == {(bread, "Bread")}
    assert sorted(h["privacy_action"] for h in hits) == ["allow", "keep_mine"]


def test_stats_and_rebuild_after_the_index_is_deleted(
    tandem_home: TandemPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(tandem_home)
    assert main(["memory", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["indexed"], stats["ledger_turns"], stats["conversations"]) == (0, 3, 2)

    assert main(["memory", "rebuild"]) == 0
    assert main(["memory", "search", "Kilimanjaro", "--json", "-k", "3"]) == 0
    before = capsys.readouterr().out.splitlines()[1:]
    shutil.rmtree(tandem_home.data_dir / "memory")
    assert main(["memory", "search", "Kilimanjaro"]) == 1
    assert "no matching turns" in capsys.readouterr().out

    assert main(["memory", "rebuild"]) == 0
    capsys.readouterr()
    assert main(["memory", "search", "Kilimanjaro", "--json", "-k", "3"]) == 0
    assert capsys.readouterr().out.splitlines() == before

    assert main(["memory", "stats"]) == 0
    text = capsys.readouterr().out
    assert "indexed turns:  3 (1 keep-local)" in text
    assert "out of date" not in text


def test_real_command(tandem_home: TandemPaths) -> None:
    _fill(tandem_home)
    env = tandem_env(tandem_home.data_dir.parent, "bundled")
    result = run_tandem("memory", "stats", env=env)
    assert result.returncode == 0, result.stderr
    assert "ledger:         3 indexable turns in 2 conversations" in result.stdout
    assert "out of date: run `tandem memory rebuild`" in result.stdout


def test_unreachable_server_is_reported_with_a_hint(
    tandem_home: TandemPaths,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TANDEM_MEMORY__SERVER_URL", "http://127.0.0.1:9")
    assert main(["memory", "search", "anything"]) == 2
    err = capsys.readouterr().err
    assert "memory server http://127.0.0.1:9" in err
    assert "chroma run" in err


def test_a_query_the_rules_keep_local_is_not_sent_to_the_memory_server(
    tandem_home: TandemPaths,
    chroma_server: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    tandem_home.config_file.write_text(
        f'[memory]\nserver_url = "{chroma_server}"\ncollection = "cli-search"\n'
    )
    _fill(tandem_home)
    assert main(["memory", "rebuild"]) == 0
    assert "(device and server)" in capsys.readouterr().out

    # A health question: the default rules keep it on the device, so does its search.
    assert main(["memory", "search", "what should I eat with my diabetes?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("the memory server was not searched, since a privacy rule keeps")
    assert "My diagnosis is type 2 diabetes" in out  # the device's keep-local turn
    assert main(["memory", "search", "feeding a bread starter"]) == 0
    assert "not searched" not in capsys.readouterr().out

    ledger = Ledger(tandem_home.ledger_file)
    sent = ledger.outbound.recent(limit=1000)
    ledger.close()
    # Every request to the server is in the record: one query, the bread one.
    assert {r.endpoint for r in sent} == {f"memory server {chroma_server}"}
    queries = [r for r in sent if r.path.endswith("/query")]
    assert len(queries) == 1 and all("diabetes" not in r.body for r in sent)
