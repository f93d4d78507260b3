"""Check that the phone app's dependencies can be installed on a phone.

    python packaging/check_mobile_deps.py [--pyproject packaging/mobile/pyproject.toml]

`flet build apk|ipa` installs `[project].dependencies` plus `[tool.flet.android]` (or
`[tool.flet.ios]`) `.dependencies` from binary wheels only. This resolves each platform's
list with pip (`--dry-run`, nothing is installed; PyPI unless --index-url, --find-links or
--no-index say otherwise), prints every package with its version and wheel, and fails
(exit 1, one line per offender) when a package with compiled code has no mobile wheel
(packaging/mobile_wheels.toml, from Flet's mobile-forge recipes), has one only for other
versions, or when a heavy package slips in. llama-cpp-python (a model on the phone) may
come in only when a `[project.optional-dependencies]` group lists it: the app loads it
where it is installed. Each such group is resolved too, as if added to the build's list.
Resolution runs on this machine's Python and platform: run it with the Python the app
bundles (3.12) for the exact set. Exit 2: the dependencies could not be resolved.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # loaded by path (the tests)
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from mobile_deps_pip import PipError, Resolved, normalise, pure_wheel, resolve

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PYPROJECT = ROOT / "packaging" / "mobile" / "pyproject.toml"
DEFAULT_WHEELS = ROOT / "packaging" / "mobile_wheels.toml"
PLATFORMS = ("android", "ios")

# Never on the phone (issue 20): model runtimes, vector stores, NLP pipelines, the desktop
# keyring and OpenCV are desktop-only or far too large; torch and CUDA must never come in.
HEAVY_NAMES = {"llama-cpp-python", "chromadb", "onnxruntime", "spacy", "keyring"}
HEAVY_NAMES |= {"torch", "torchvision", "torchaudio", "triton"}
HEAVY_PREFIXES = ("opencv-", "nvidia-")
# The only heavy package the phone may carry, when the app declares it optional.
MAY_BE_OPTIONAL = {"llama-cpp-python"}


def release(version: str) -> tuple[str, ...]:
    """A version without trailing `.0` parts, so "2.0" and "2.0.0" compare equal."""
    parts = version.lower().split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return tuple(parts)


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


def load_wheels(path: Path) -> tuple[dict[str, list[str]], str]:
    """The mobile-wheel list (normalised name -> versions) and a line naming its snapshot."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    source = data.get("source", {})
    where = f"{source.get('repository', '?')} at {source.get('commit', '?')[:12]}"
    packages = {normalise(k): _strings(v) for k, v in data.get("packages", {}).items()}
    return packages, f"{where} ({source.get('date', '?')})"


def has_recipe(item: Resolved, wheels: dict[str, list[str]]) -> bool:
    """Whether mobile-forge builds this package at this version (Flet's index has it)."""
    return any(release(v) == release(item.version) for v in wheels.get(item.name, []))


def prefer_pure_wheel(item: Resolved, pip_args: list[str]) -> None:
    """Mark a compiled package pure when its release has a `*-any` wheel: a phone takes that."""
    filename = pure_wheel(item, pip_args)
    if filename is not None:
        item.kind, item.filename, item.note = "pure", filename, "compiled wheels too"


def is_heavy(name: str) -> bool:
    """Whether a (normalised) package never belongs on the phone."""
    return name in HEAVY_NAMES or name.startswith(HEAVY_PREFIXES)


def _mobile_column(item: Resolved, wheels: dict[str, list[str]]) -> str:
    versions = wheels.get(item.name)
    if item.kind == "pure":
        return ""
    if versions is None:
        return "no recipe"
    return ("recipe " if has_recipe(item, wheels) else "only ") + ", ".join(versions)


@dataclass
class Policy:
    """What may be installed: the mobile wheels, and the exceptions the app declares."""

    wheels: dict[str, list[str]]
    optional: set[str]  # heavy, yet declared optional (only names in MAY_BE_OPTIONAL)
    source: set[str]  # may be built from a source distribution ([tool.flet].source_packages)


def offence(item: Resolved, policy: Policy) -> str | None:
    """One line saying what is wrong with a resolved package, or None when it may stay."""
    who = f"{item.name} {item.version}" + (f" (from {item.via})" if item.via else "")
    if is_heavy(item.name) and item.name not in policy.optional:
        hint = " unless an optional-dependencies group lists it" * (item.name in MAY_BE_OPTIONAL)
        return f"heavy: {who} must not be in the phone app{hint}; drop what pulls it in."
    versions = policy.wheels.get(item.name)
    if item.kind == "pure" or (versions is None and item.name in policy.source):
        return None
    if versions is None and item.kind == "sdist":
        return (
            f"no wheel: {who} has only a source distribution and no mobile-forge recipe; "
            "list it in [tool.flet].source_packages if it is pure Python, else drop it."
        )
    if versions is None:
        return f"no mobile wheel: {who} is compiled and mobile-forge has no recipe for it."
    if not has_recipe(item, policy.wheels):
        listed = ", ".join(versions)
        return f"version: {who} has mobile wheels only for {listed}; pin a listed version."
    return None


def table(items: list[Resolved], wheels: dict[str, list[str]]) -> list[str]:
    """The aligned table: package, version, the wheel pip chose, the mobile wheels."""
    rows = [("package", "version", "wheel", "mobile wheels")]
    rows += [(i.name, i.version, i.describe(), _mobile_column(i, wheels)) for i in items]
    widths = [max(len(row[c]) for row in rows) for c in range(3)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]


def resolve_set(
    requirements: list[str], wheels: dict[str, list[str]], pip_args: list[str]
) -> list[Resolved]:
    """The packages a requirement list installs, compiled ones with a pure wheel made pure."""
    items = resolve(requirements, pip_args)
    for item in items:
        if item.kind == "compiled" and not has_recipe(item, wheels):
            prefer_pure_wheel(item, pip_args)
    return items


def check(pyproject_path: Path, wheels_path: Path, pip_args: list[str]) -> int:
    """Resolve, print the tables and offenders; the exit status (0 fine, 1 offenders).

    An optional group's table and offenders are only what it adds to its platform's set.
    """
    pyproject = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
    wheels, snapshot = load_wheels(wheels_path)
    optional = optional_names(pyproject) & MAY_BE_OPTIONAL
    print(f"Mobile wheels: {wheels_path.name}, {len(wheels)} packages, {snapshot}")
    print(f"Resolved with Python {sys.version.split()[0]} on {sys.platform}")
    problems: list[str] = []
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
        found = [offence(item, policy) for item in items]
        problems += [f"{label}: {line}" for line in found if line]
    print()
    print(
        "\n".join(problems)
        if problems
        else "OK: every compiled package has a mobile wheel for its version; nothing heavy."
    )
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
