"""`tandem team run`: JSON output on the real tiny model, and which agent names exist."""

import json
from pathlib import Path

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
