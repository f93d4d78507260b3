"""Check that the phone app's dependencies can be installed on a phone.

    python packaging/check_mobile_deps.py [--pyproject packaging/mobile/pyproject.toml]

`flet build apk|ipa` installs `[project].dependencies` plus `[tool.flet.android]` (or
`[tool.flet.ios]`) `.dependencies` from binary wheels only. This resolves each platform's
list with pip (`--dry-run`, nothing is installed; PyPI unless --index-url, --find-links or
--no-index say otherwise), prints every package with its version and wheel, and fails
(exit 1, one line per offender) when a package with compiled code has no mobile wheel
(packaging/mobile_wheels.toml, from Flet's mobile-forge recipes), has one only for other
versions, or when a heavy package slips in (mobile_deps_rules.py). llama-cpp-python, a
model on the phone, may come in only when a `[project.optional-dependencies]` group lists
it: the app loads it where it is installed. Each such group is resolved too, as if added
to the build's list. A release only an earlier recipe built passes with a warning.
Resolution runs on this machine's Python and platform: run it with the Python the app
bundles (3.12) for the exact set. Exit 2: the dependencies could not be resolved.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # loaded by path (the tests)
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from mobile_deps_pip import PipError, Resolved, normalise, pure_wheel, resolve
from mobile_deps_rules import MAY_BE_OPTIONAL, MobileWheels, Policy, offence, warning

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PYPROJECT = ROOT / "packaging" / "mobile" / "pyproject.toml"
DEFAULT_WHEELS = ROOT / "packaging" / "mobile_wheels.toml"
PLATFORMS = ("android", "ios")


def _get(table: dict[str, object], dotted: str) -> object:
    value: object = table
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def requirement_sets(pyproject: dict[str, object]) -> dict[str, list[str]]:
    """Label -> requirements: what the build installs on each platform ("android",
    "ios", or "android and ios" when the same), then each optional group added to that."""
    base = _strings(_get(pyproject, "project.dependencies"))
    sets: dict[str, list[str]] = {}
    for platform in PLATFORMS:
        extra = _strings(_get(pyproject, f"tool.flet.{platform}.dependencies"))
        sets[platform] = base + [r for r in extra if r not in base]
    if sets["android"] == sets["ios"]:
        sets = {"android and ios": sets["android"]}
    groups = _get(pyproject, "project.optional-dependencies")
    for group, listed in sorted(groups.items() if isinstance(groups, dict) else []):
        for label, requirements in list(sets.items()):
            if " + " not in label:
                sets[f"{label} + optional {group}"] = requirements + _strings(listed)
    return sets


def optional_names(pyproject: dict[str, object]) -> set[str]:
    """The packages named in `[project.optional-dependencies]`: the explicitly optional."""
    groups = _get(pyproject, "project.optional-dependencies")
    listed = [r for v in groups.values() for r in _strings(v)] if isinstance(groups, dict) else []
    return {normalise(re.split(r"[\s;<>=!~\[(@]", r.strip(), maxsplit=1)[0]) for r in listed}


def source_packages(pyproject: dict[str, object], label: str) -> set[str]:
    """Packages the build may install from source there (the platform's list wins)."""
    found: set[str] = set()
    for platform in label.split(" + ")[0].split(" and "):
        value = _get(pyproject, f"tool.flet.{platform}.source_packages")
        if value is None:
            value = _get(pyproject, "tool.flet.source_packages")
        found |= {normalise(name) for name in _strings(value)}
    return found


def prefer_pure_wheel(item: Resolved, pip_args: list[str]) -> None:
    """Mark a compiled package pure when its release has a `*-any` wheel: a phone takes that."""
    filename = pure_wheel(item, pip_args)
    if filename is not None:
        item.kind, item.filename, item.note = "pure", filename, "compiled wheels too"


def table(items: list[Resolved], wheels: MobileWheels) -> list[str]:
    """The aligned table: package, version, the wheel pip chose, the mobile wheels."""
    rows = [("package", "version", "wheel", "mobile wheels")]
    rows += [(i.name, i.version, i.describe(), wheels.column(i)) for i in items]
    widths = [max(len(row[c]) for row in rows) for c in range(3)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]


def resolve_set(
    requirements: list[str], wheels: MobileWheels, pip_args: list[str]
) -> list[Resolved]:
    """The packages a requirement list installs, compiled ones with a pure wheel made pure."""
    items = resolve(requirements, pip_args)
    for item in items:
        if item.kind == "compiled" and not wheels.has_recipe(item):
            prefer_pure_wheel(item, pip_args)
    return items


def check(pyproject_path: Path, wheels_path: Path, pip_args: list[str]) -> int:
    """Resolve, print the tables, warnings and offenders; the exit status (0 fine, 1 not).

    An optional group's table and lines are only what it adds to its platform's set.
    """
    pyproject = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
    wheels = MobileWheels.load(wheels_path)
    optional = optional_names(pyproject) & MAY_BE_OPTIONAL
    print(f"Mobile wheels: {wheels_path.name}, {len(wheels.current)} packages, {wheels.snapshot}")
    print(f"Resolved with Python {sys.version.split()[0]} on {sys.platform}")
    problems: list[str] = []
    warnings: list[str] = []
    installed: dict[str, set[tuple[str, str]]] = {}
    for label, requirements in requirement_sets(pyproject).items():
        platform_label, _, group = label.partition(" + ")
        items = resolve_set(requirements, wheels, pip_args)
        already = installed.setdefault(platform_label, {(i.name, i.version) for i in items})
        if group:
            items = [i for i in items if (i.name, i.version) not in already]
        policy = Policy(wheels, optional, source_packages(pyproject, platform_label))
        count = f"{len(items)} {'more ' if group else ''}package{'s' * (len(items) != 1)}"
        print(f"\n{label}: {count}")
        print("\n".join(table(items, wheels)))
        warnings += [f"{label}: {line}" for i in items if (line := warning(i, policy))]
        problems += [f"{label}: {line}" for i in items if (line := offence(i, policy))]
    print()
    for line in warnings + problems:
        print(line)
    if not problems:
        print("OK: every compiled package has a mobile wheel for its version; nothing heavy.")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the check, and turn a failed resolution into one sentence."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pyproject", type=Path, default=DEFAULT_PYPROJECT)
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS)
    parser.add_argument("--index-url", help="a package index instead of PyPI")
    parser.add_argument("--find-links", action="append", default=[], help="a folder of wheels")
    parser.add_argument("--no-index", action="store_true", help="use --find-links only")
    args = parser.parse_args(argv)
    pip_args = [f"--find-links={path}" for path in args.find_links]
    pip_args += ["--no-index"] if args.no_index else []
    pip_args += [f"--index-url={args.index_url}"] if args.index_url else []
    if not args.pyproject.is_file():
        print(f"{args.pyproject} does not exist: pass the app's pyproject.toml with --pyproject.")
        return 2
    try:
        return check(args.pyproject, args.wheels, pip_args)
    except PipError as error:
        print(f"pip could not resolve the phone app's dependencies: {error}")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
