"""A missing NER model is never silent: one stderr line per run, a banner in the Privacy section."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import flet as ft
import pytest

from app.cli.privacy import run_scan
from app.gui.privacy.view import PrivacyView
from app.gui.privacy.view_model import PrivacyViewModel
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.privacy import scan
from router.privacy.detectors import ner
from router.privacy.detectors.registry import default_detectors
from router.privacy.scan import Scanner
from router.types import TurnRequest
from tests.app.cli_support import run_tandem, tandem_env
from tests.app.conftest import RuntimeFactory


@pytest.fixture
def fresh_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process that has not yet built its detectors nor reported anything."""
    monkeypatch.setattr(ner, "_reported", False)
    scan._scan_text_cached.cache_clear()
    yield
    scan._scan_text_cached.cache_clear()


@pytest.fixture
def ner_unavailable(monkeypatch: pytest.MonkeyPatch, fresh_run: None) -> None:
    """The NER packages uninstalled, as without the `ner` extra (find_spec and import fail)."""
    for module in ner.NER_PACKAGES:
        monkeypatch.setitem(sys.modules, module, None)


def request(text: str) -> TurnRequest:
    return TurnRequest(text=text, session_id="s")


def notice_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "name detection (NER) is not installed" in line]


def test_the_first_scan_without_ner_says_so_once_and_names_the_fix(
    ner_unavailable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    report = Scanner().scan(request("Alice Smith flies to Paris."), [])
    # Names are still caught, by the heuristics: that is the consequence the notice states.
    assert any(f.detector != "ner" for f in report.findings)
    Scanner().scan(request("Bob lives in Berlin."), [])
    Scanner(detectors=default_detectors(names=False)).scan(
        request("Carol"), []
    )  # another detector set, same run

    [line] = notice_lines(capsys.readouterr().err)
    assert line.startswith("tandem: ")
    assert "presidio-analyzer" in line and "heuristics only" in line
    assert line.endswith(ner.install_command())
    assert "-e '.[ner]'" in line


def test_tandem_privacy_scan_says_so_too(
    ner_unavailable: None, tandem_home: TandemPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    assert run_scan("Alice Smith flies to Paris.", out=out) == 0
    assert "NAME_LIKE" in out.getvalue()  # the heuristics still catch the name
    [line] = notice_lines(capsys.readouterr().err)
    assert "-e '.[ner]'" in line


def test_no_notice_when_ner_is_switched_off(
    ner_unavailable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    Scanner(detectors=default_detectors(ner=False)).scan(request("Alice Smith flies to Paris."), [])
    assert notice_lines(capsys.readouterr().err) == []


def test_no_notice_when_ner_is_installed(
    fresh_run: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ner, "missing_packages", lambda: ())
    assert ner.unavailable_notice() is None
    assert not ner.report_unavailable_once()
    assert notice_lines(capsys.readouterr().err) == []


async def test_the_privacy_section_shows_a_banner_with_the_fix(
    ner_unavailable: None, fake_runtime: RuntimeFactory
) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = PrivacyViewModel(runtime)
        notice = vm.ner_missing
        assert notice is not None and notice.startswith("Name detection (NER)")
        assert "heuristics only" in notice and ner.install_command() in notice

        view = PrivacyView(vm)
        view.render()
        assert view.ner_banner.visible
        assert view.ner_banner_text.value == notice
        assert cast(str, view.ner.label).endswith("not installed")


async def test_no_banner_when_ner_is_installed(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ner, "missing_packages", lambda: ())
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        view = PrivacyView(PrivacyViewModel(runtime))
        view.render()
        assert view.vm.ner_missing is None
        assert not view.ner_banner.visible
        assert view.ner.label == "Names, places, organisations (NER)"
        assert isinstance(view.ner_banner, ft.Container)


def test_the_cli_says_it_once_per_run_on_stderr(tmp_path: Path, tiny_gguf: Path) -> None:
    # A sitecustomize that hides the NER packages, as an install without the `ner` extra.
    hide = tmp_path / "hide_ner"
    hide.mkdir()
    modules = ", ".join(repr(m) for m in ner.NER_PACKAGES)
    (hide / "sitecustomize.py").write_text(
        f"import sys\nfor name in ({modules}):\n    sys.modules[name] = None\n", encoding="utf-8"
    )
    env = tandem_env(
        tmp_path / "home",
        tiny_gguf,
        TANDEM_GENERATION__MAX_TOKENS="2",
        PYTHONPATH=f"{hide}:{Path.cwd()}",
    )
    result = run_tandem("chat", env=env, stdin="Alice met Bob.\nCarol met Dave.\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("on this device") == 2  # two turns were answered
    [line] = notice_lines(result.stderr)
    assert "-e '.[ner]'" in line
