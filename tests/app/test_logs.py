"""A quiet start: libraries' log records go to the log file, Tandem's own lines to the terminal."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.logs import log_file, routed_logs
from router.paths import resolve_paths
from tests.app.cli_support import run_tandem, tandem_env

RECOGNIZER_NOISE = "Recognizer not added to registry"
"""What Presidio logs for each recognizer of a language Tandem does not load."""
OWN_LINES_AT_MOST = 4
"""`tandem chat --once` on stderr: the route line, and a notice or two of Tandem's own."""


def test_own_warnings_show_and_libraries_go_to_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = resolve_paths(tmp_path)
    with routed_logs(paths=paths) as written:
        logging.getLogger("router.endpoints.example").warning("the model is slow today")
        logging.getLogger("presidio-analyzer").warning("Recognizer not added to registry")
        logging.getLogger("app.gui").info("an info line stays out of the terminal")
        warnings.warn("a library's warning", UserWarning, stacklevel=1)
    assert written == log_file(paths) == paths.data_dir / "logs" / "tandem.log"
    err = capsys.readouterr().err
    assert err == "the model is slow today\n"
    logged = written.read_text()
    assert "WARNING presidio-analyzer: Recognizer not added to registry" in logged
    assert "router.endpoints.example: the model is slow today" in logged
    assert "py.warnings:" in logged and "UserWarning: a library's warning" in logged


def test_verbose_shows_the_libraries_records_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with routed_logs(verbose=True, paths=resolve_paths(tmp_path)):
        logging.getLogger("presidio-analyzer").warning("Recognizer not added to registry")
        logging.getLogger("httpx").info("HTTP Request: GET /")
    err = capsys.readouterr().err
    assert "WARNING presidio-analyzer: Recognizer not added to registry" in err
    assert "INFO httpx: HTTP Request: GET /" in err


def test_the_previous_logging_setup_is_restored(tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    advice = os.environ.get("TRANSFORMERS_NO_ADVISORY_WARNINGS")
    with routed_logs(verbose=True, paths=resolve_paths(tmp_path)):
        assert len(root.handlers) == len(handlers) + 2
    with routed_logs(paths=resolve_paths(tmp_path)):
        assert os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"] == "1"
    assert root.handlers == handlers and root.level == level
    assert os.environ.get("TRANSFORMERS_NO_ADVISORY_WARNINGS") == advice
    with warnings.catch_warnings(record=True) as caught:  # Python's own display again
        warnings.simplefilter("always")
        warnings.warn("after", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["after"]


def test_without_a_writable_data_folder_the_libraries_are_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder should be")
    with routed_logs(paths=resolve_paths(blocked)) as written:
        logging.getLogger("presidio-analyzer").warning("nowhere else to go")
    assert written is None
    assert "presidio-analyzer: nowhere else to go" in capsys.readouterr().err


def test_verbose_is_accepted_before_or_after_the_subcommand() -> None:
    parser = build_parser()
    assert parser.parse_args(["--verbose", "config", "path"]).verbose
    assert not parser.parse_args(["config", "path"]).verbose
    with pytest.raises(SystemExit):
        main(["config", "path", "--verbos"])


def test_verbose_after_the_subcommand_runs_it(
    tandem_home: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "path", "--verbose"]) == 0
    assert "config.toml" in capsys.readouterr().out


@pytest.mark.bundled
def test_chat_once_writes_only_tandems_own_lines(tmp_path: Path, bundled_gguf: Path) -> None:
    result = run_tandem("chat", "--once", "hi", env=tandem_env(tmp_path, bundled_gguf))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= OWN_LINES_AT_MOST, result.stderr
    assert lines[-1].startswith("[on this device (local) · "), result.stderr
    assert "Recognizer" not in result.stderr and "transformers" not in result.stderr
    logged = log_file(resolve_paths(tmp_path)).read_text()
    assert f"WARNING presidio-analyzer: {RECOGNIZER_NOISE}" in logged


def test_chat_once_verbose_shows_the_libraries(tmp_path: Path, tiny_gguf: Path) -> None:
    env = tandem_env(tmp_path, tiny_gguf, TANDEM_GENERATION__MAX_TOKENS="4")
    quiet = run_tandem("chat", "--once", "hi", env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert RECOGNIZER_NOISE not in quiet.stderr
    assert len(quiet.stderr.splitlines()) <= OWN_LINES_AT_MOST, quiet.stderr
    verbose = run_tandem("chat", "--once", "hi", "--verbose", env=env)
    assert verbose.returncode == 0, verbose.stderr
    assert f"WARNING presidio-analyzer: {RECOGNIZER_NOISE}" in verbose.stderr
    assert "on this device (local)" in verbose.stderr
