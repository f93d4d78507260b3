"""The phone app's dependency list holds everything its code imports (issue 20).

`prepare.py` copies router/, mcp_servers/ and app/mobile/ into the app folder, and
`flet build` installs only packaging/mobile/pyproject.toml's `[project].dependencies`
beside them. So every third-party import of the copied code must name a declared
distribution, or one that the phone runs without (tests/support/blocked.py
`NOT_ON_THE_PHONE`, each with its reason); and with those blocked, the phone's own
modules import, and any other module that does not fails only for one of them.
packaging/mobile/check_phone_venv.sh checks the same on the real packages.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import runpy
import tomllib
from functools import cache
from pathlib import Path

from tests.support.blocked import (
    HEAVY,
    NOT_ON_THE_PHONE,
    PHONE_LACKS,
    ROOT,
    last_json,
    run_blocked,
)
from tests.support.imports import third_party_imports

MOBILE = ROOT / "packaging" / "mobile"


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0]).lower()


def _declared() -> dict[str, set[str]]:
    """Distribution names (normalised) the phone app declares, per group ("" = installed)."""
    project = tomllib.loads((MOBILE / "pyproject.toml").read_text("utf-8"))["project"]
    groups = {"": project["dependencies"], **project.get("optional-dependencies", {})}
    return {group: {_name(r) for r in requirements} for group, requirements in groups.items()}


@cache
def _packages() -> dict[str, list[str]]:
    return md.packages_distributions()


def _distributions(module: str) -> set[str]:
    """The distributions providing `module` here; when none is installed, its own name."""
    return {_name(n) for n in _packages().get(module) or [module]}


def _prepared(into: Path) -> Path:
    """An app folder as `prepare.py` leaves it (with the app's own main.py)."""
    (into / "assets").mkdir(parents=True)
    (into / "main.py").write_bytes((MOBILE / "src" / "main.py").read_bytes())
    runpy.run_path(str(MOBILE / "prepare.py"))["prepare"](into)
    return into


def _third_party_imports(folder: Path) -> dict[str, set[str]]:
    """Top-level modules the code under `folder` imports anywhere (not the standard
    library, not its own packages) -> the files importing them."""
    own = {p.stem for p in folder.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    return third_party_imports(sorted(folder.rglob("*.py")), folder, own)


def test_every_third_party_import_of_the_phone_code_is_declared_or_known_absent(
    tmp_path: Path,
) -> None:
    installed = _declared()[""]
    found = _third_party_imports(_prepared(tmp_path / "src"))
    undeclared = sorted(
        f"{module} from {sorted(_distributions(module))} (imported by {sorted(files)[0]})"
        for module, files in found.items()
        if not _distributions(module) & installed and module not in NOT_ON_THE_PHONE
    )
    assert undeclared == [], "declare these in packaging/mobile/pyproject.toml"
    assert {"flet", "anthropic", "pydantic", "numpy"} <= found.keys()  # the walk saw imports


def test_what_the_phone_runs_without_is_not_installed_there_and_the_heavy_are_among_it() -> None:
    declared = _declared()
    assert set(HEAVY) <= set(NOT_ON_THE_PHONE)
    installed_yet_blocked = [m for m in PHONE_LACKS if _distributions(m) & declared[""]]
    assert installed_yet_blocked == []
    # The on-device model reads its file's header with gguf: the group carries both.
    for module in ("llama_cpp", "gguf"):
        assert _distributions(module) & declared["local-model"], module


def test_with_what_the_phone_lacks_blocked_its_modules_import_and_the_rest_fail_only_for_it(
    tmp_path: Path,
) -> None:
    app_folder = _prepared(tmp_path / "src")
    done = run_blocked(
        """
        import importlib, json, pkgutil, sys
        from tests.support.blocked import PHONE_LACKS, loaded_heavy
        failed, loaded = {}, []
        names = ["main"]
        for package in ("router", "mcp_servers", "app"):
            root = importlib.import_module(package)
            names += [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
        for name in names:
            try:
                loaded.append(importlib.import_module(name).__file__)
            except ImportError as exc:
                failed[name] = (exc.name or "").split(".")[0]
        print(json.dumps({"failed": failed, "files": loaded, "loaded": loaded_heavy(PHONE_LACKS)}))
        """,
        blocked=PHONE_LACKS,
        cwd=app_folder,
        env={"PYTHONPATH": os.pathsep.join([str(app_folder), str(ROOT)])},
    )
    report = last_json(done)
    failed: dict[str, str] = report["failed"]
    assert not [name for name in failed if name == "main" or name.startswith("app.")]
    assert {name: why for name, why in failed.items() if why not in NOT_ON_THE_PHONE} == {}
    assert "router.runtime.compose" not in failed and "router.turn.pipeline" not in failed
    assert all(Path(f).is_relative_to(app_folder) for f in report["files"])
    assert report["loaded"] == []
