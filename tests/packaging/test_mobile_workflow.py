"""The phone app's CI job (.github/workflows/mobile.yml): it parses, checks the
dependencies before building, and builds with the Flet and Flutter this checkout uses."""

from __future__ import annotations

import importlib.metadata as md
from pathlib import Path
from typing import Any

import pytest
import yaml
from flet.version import flutter_version

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "mobile.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def commands(job: dict[str, Any]) -> list[str]:
    return [" ".join(str(step["run"]).split()) for step in job["steps"] if "run" in step]


def test_it_runs_by_hand_and_on_version_tags(workflow: dict[Any, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "workflow_dispatch" in triggers
    assert triggers["push"]["tags"] == ["v*"]


def test_the_dependency_check_gates_both_builds(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    check = "python packaging/check_mobile_deps.py --pyproject packaging/mobile/pyproject.toml"
    assert check in commands(jobs["dependencies"])
    assert jobs["apk"]["needs"] == jobs["ipa"]["needs"] == "dependencies"


@pytest.mark.parametrize(
    ("job", "runner", "target", "output"),
    [("apk", "ubuntu", "apk", "build/apk"), ("ipa", "macos", "ipa", "build/ipa")],
)
def test_each_build_runs_in_the_app_folder_and_uploads_its_output(
    workflow: dict[Any, Any], job: str, runner: str, target: str, output: str
) -> None:
    spec = workflow["jobs"][job]
    assert spec["runs-on"].startswith(runner)
    build = [s for s in spec["steps"] if f"flet build {target} " in str(s.get("run", ""))]
    assert len(build) == 1 and build[0]["working-directory"] == "packaging/mobile"
    assert '--python-version "${BUNDLED_PYTHON}"' in build[0]["run"]
    uploads = [s for s in spec["steps"] if str(s.get("uses", "")).startswith("actions/upload")]
    assert [s["with"]["path"] for s in uploads] == [f"packaging/mobile/{output}"]
    assert uploads[0]["with"]["if-no-files-found"] == "error"
    assert 'pip install "flet-cli==${FLET_VERSION}"' in " ".join(commands(spec))


def test_it_pins_the_flet_and_flutter_this_checkout_uses(workflow: dict[Any, Any]) -> None:
    env = workflow["env"]
    assert env["FLET_VERSION"] == md.version("flet")
    assert env["FLUTTER_VERSION"] == flutter_version  # flet checks major.minor against it
    # Mobile-forge builds wheels for 3.12-3.14 and tests them on phones on 3.12.
    assert env["BUNDLED_PYTHON"] == "3.12"
    for job in workflow["jobs"].values():
        setup = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-py")]
        assert [s["with"]["python-version"] for s in setup] == [env["BUNDLED_PYTHON"]]


def test_the_readme_gives_the_same_commands(workflow: dict[Any, Any]) -> None:
    readme = (ROOT / "packaging" / "README.md").read_text(encoding="utf-8")
    env = workflow["env"]
    assert f"flet-cli=={env['FLET_VERSION']}" in readme
    assert f"Flutter {env['FLUTTER_VERSION']}" in readme
    for target in ("apk", "ipa"):
        assert f"flet build {target} --python-version {env['BUNDLED_PYTHON']}" in readme
    assert "python packaging/check_mobile_deps.py" in readme
