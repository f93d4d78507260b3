"""`tandem team run`: JSON output on the real tiny model, and the progress lines."""

import json
from pathlib import Path

import pytest

from app.present.team import progress_line, summary_line, topology_for
from router.collab.agents import TeamConfigError
from router.collab.events import MessageSent, StepStarted, TeamStarted
from router.collab.records import Assignment, TeamMessage, TeamResult
from tests.app.cli_support import run_tandem, tandem_env


def test_team_run_prints_the_result_as_json(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(
        tmp_path / "home", tiny_gguf, TANDEM_PRIVACY__NER="false", TANDEM_GENERATION__MAX_TOKENS="8"
    )
    done = run_tandem(
        "team", "run", "What is 2+3?", "--agents", "local,local,local", "--topology", "ring",
        "--rounds", "2", "--json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["pattern"], result["topology"], result["status"]) == (
        "debate",
        "ring",
        "complete",
    )
    assert result["agents"] == ["a1 (local)", "a2 (local)", "a3 (local)"]
    assert result["traffic"]["messages"] == 6 and result["traffic"]["calls"] == 9
    assert {(e["sender"], e["receiver"]) for e in result["traffic"]["edges"]} == {
        (0, 1),
        (1, 2),
        (2, 0),
    }
    assert result["answer"] and len(result["answers"]) == 9
    # Progress streamed to stderr as it happened.
    assert "── round 2: broadcast, critique and revise" in done.stderr
    assert "a3 → a1:" in done.stderr


def test_an_unknown_agent_says_which_names_exist(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(tmp_path / "home", tiny_gguf, TANDEM_PRIVACY__NER="false")
    done = run_tandem("team", "run", "hi", "--agents", "local,claude", env=env)
    assert done.returncode == 2
    assert "no endpoint or endpoint kind named 'claude'" in done.stderr
    assert "use one of: local" in done.stderr


def test_progress_lines_name_agents_hops_and_records() -> None:
    started = TeamStarted(agents=("a1 (local)", "a2 (cloud)"), active=(0,), privacy="kept")
    assert progress_line(started) == "[team] a1 (local), a2 (cloud) [sits out] · privacy: kept"
    assert progress_line(StepStarted(step=1, title="round 1")) == "── round 1"
    hop = TeamMessage(
        step=0, sender=1, receiver=2, origin=0, text="x", tokens=5,
        record=Assignment(step=0, worker=2, instruction="x"),
    )  # fmt: skip
    assert progress_line(MessageSent(message=hop)) == "  a2 → a3: 5 tok [assignment] (relaying a1)"


def test_the_summary_line_says_when_a_budget_stopped_the_team() -> None:
    result = TeamResult(
        pattern="debate", topology="mesh", agents=("a1 (local)",), status="budget_exhausted",
        answer="7", reason="the team stopped: token budget spent", rounds=1,
    )  # fmt: skip
    assert summary_line(result).startswith("[budget_exhausted · the team stopped: token budget")


def test_a_custom_graph_comes_from_the_graph_option() -> None:
    topo = topology_for("custom", 3, "0:1,2;1:2;2:0")
    assert topo.name == "custom" and topo.edges == {(0, 1), (0, 2), (1, 2), (2, 0)}
    with pytest.raises(TeamConfigError, match="--topology custom needs --graph"):
        topology_for("custom", 3, None)
    assert topology_for("star", 4, None).path(1, 2) == [1, 0, 2]
