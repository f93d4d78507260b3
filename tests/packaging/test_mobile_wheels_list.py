"""packaging/mobile_wheels.toml and packaging/build_mobile_wheels_list.py, which builds it
from a snapshot of Flet's mobile-forge recipes."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from tests.packaging.builders import load_builder

ROOT = Path(__file__).resolve().parents[2]

# Shapes of recipes/<name>/meta.yaml in flet-dev/mobile-forge (written here, not copied).
PLAIN = """\
package:
  name: PyYAML
  version: "6.0.3"

requirements:
  host:
    - flet-libyaml 0.2.5
"""
SET_VERSION = """\
# {% set version = "2.15.3" %}

package:
  name: flet-libxml2
  version: '{{ version }}'

source:
  url: https://example.org/libxml2-{{ version }}.tar.xz
"""
BY_PYTHON = """\
package:
  name: cryptography
# {% if py_version.minor >= 14 %}
  version: "48.0.0"
# {% else %}
  version: 43.0.1
# {% endif %}

build:
  number: 10
  version: "not the package's"
"""


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    return load_builder("build_mobile_wheels_list")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PLAIN, ("PyYAML", ["6.0.3"])),
        (SET_VERSION, ("flet-libxml2", ["2.15.3"])),
        (BY_PYTHON, ("cryptography", ["43.0.1", "48.0.0"])),
    ],
    ids=["plain", "set-version", "version-by-python"],
)
def test_a_recipe_gives_its_package_and_versions(
    builder: ModuleType, text: str, expected: tuple[str, list[str]]
) -> None:
    assert builder.recipe_versions(text) == expected


def test_a_recipe_without_a_version_is_an_error(builder: ModuleType) -> None:
    with pytest.raises(ValueError, match="package: block"):
        builder.recipe_versions("package:\n  name: x\nbuild:\n  version: 1\n")


def test_versions_sort_by_number(builder: ModuleType) -> None:
    assert sorted(["1.10", "1.9", "1.9.1"], key=builder.version_key) == ["1.9", "1.9.1", "1.10"]


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def _recipe(repo: Path, folder: str, text: str, message: str) -> None:
    (repo / "recipes" / folder).mkdir(parents=True, exist_ok=True)
    (repo / "recipes" / folder / "meta.yaml").write_text(text, encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", message)


def test_the_list_is_built_from_a_snapshot_deterministically(
    builder: ModuleType, tmp_path: Path
) -> None:
    repo = tmp_path / "forge"
    _git(tmp_path, "init", "-q", "-b", "main", str(repo))
    for folder, text in {"flet-libxml2": SET_VERSION, "crypto": BY_PYTHON}.items():
        _recipe(repo, folder, text, folder)
    (repo / "recipes" / "notes").mkdir()
    (repo / "recipes" / "notes" / "README.md").write_text("no recipe here\n", encoding="utf-8")
    _recipe(repo, "pyyaml", PLAIN.replace("6.0.3", "6.0.1"), "pyyaml 6.0.1")
    _git(repo, "checkout", "-q", "-b", "bump")  # a pull request: its draft is never built
    _recipe(repo, "pyyaml", PLAIN.replace("6.0.3", "6.0.2rc1"), "draft")
    _recipe(repo, "pyyaml", PLAIN, "pyyaml 6.0.3")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "-m", "merge bump", "bump")
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    assert builder.build(repo, "HEAD", first) == 3
    builder.build(repo, "HEAD", second)
    assert first.read_bytes() == second.read_bytes()
    data = tomllib.loads(first.read_text(encoding="utf-8"))
    assert data["source"]["commit"] == _git(repo, "rev-parse", "HEAD")
    assert data["source"]["date"] == _git(repo, "log", "-1", "--format=%cI")
    assert data["packages"] == {
        "cryptography": ["43.0.1", "48.0.0"],
        "flet-libxml2": ["2.15.3"],
        "pyyaml": ["6.0.3"],  # normalised as pip compares names
    }
    assert data["earlier"] == {"pyyaml": ["6.0.1"]}


def test_the_checked_in_list_names_its_snapshot_and_the_phone_packages() -> None:
    data = tomllib.loads((ROOT / "packaging" / "mobile_wheels.toml").read_text(encoding="utf-8"))
    assert len(data["source"]["commit"]) == 40
    assert data["source"]["date"].startswith("20")
    packages = data["packages"]
    # Issue 20's facts: recipes for these, none for chromadb.
    for name in ("llama-cpp-python", "onnxruntime", "tokenizers", "numpy", "pydantic-core"):
        assert packages[name], name
    assert "chromadb" not in packages and "chromadb" not in data["earlier"]
    assert list(packages) == sorted(packages)
    assert data["earlier"]["pydantic-core"] == ["2.18.4", "2.33.2"]
