"""Build packaging/mobile_wheels.toml: the packages that have mobile (Android and iOS) wheels.

    python packaging/build_mobile_wheels_list.py --repo PATH [--rev HEAD]

`flet build apk|ipa` installs only binary wheels on a phone; a package with compiled code
has one only where Flet's mobile-forge (https://github.com/flet-dev/mobile-forge, BSD-3)
has a recipe for it, published on pypi.flet.dev for the recipe's version. PATH is a git
clone of mobile-forge (bare or not); each `recipes/<name>/meta.yaml` at REV gives a
package name and its version(s). The output records the commit and its date, and is
deterministic: the same commit gives the same file. packaging/check_mobile_deps.py reads it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "packaging" / "mobile_wheels.toml"
SOURCE_URL = "https://github.com/flet-dev/mobile-forge"

# A recipe is a Jinja template of YAML; its version is a literal or `{{ version }}` set
# by `{% set version = "..." %}` (sometimes behind `# `, which YAML reads as a comment
# and Jinja still runs). Branches (`{% if py_version.minor >= 14 %}`) can give several.
_SET_VERSION = re.compile(r"""\{%-?\s*set\s+version\s*=\s*["']([^"']+)["']\s*-?%\}""")
_PACKAGE = re.compile(r"^package:\s*(?:#.*)?$")
_FIELD = re.compile(r"^\s+(name|version):\s*(.+)$")
_TEMPLATE = re.compile(r"\{\{\s*version\s*\}\}")


def normalise(name: str) -> str:
    """A distribution name as pip compares it (PEP 503): lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _package_block(text: str) -> list[str]:
    """The lines of the top-level `package:` mapping (comments included)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _PACKAGE.match(line)]
    if not starts:
        return []
    block: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if line and not line[0].isspace() and not line.startswith(("#", "{%")):
            break  # the next top-level key
        block.append(line)
    return block


def _scalar(raw: str) -> str:
    """A YAML scalar's text: the inside of its quotes, or the text before a comment."""
    raw = raw.strip()
    if raw[:1] in {"'", '"'}:
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else raw[1:]
    return raw.split(" #", 1)[0].strip()


def recipe_versions(text: str) -> tuple[str, list[str]]:
    """The package name of a recipe's meta.yaml and every version it can build, sorted."""
    set_versions = _SET_VERSION.findall(text)
    name = ""
    versions: set[str] = set()
    for line in _package_block(text):
        match = _FIELD.match(line)
        if match is None:
            continue
        key, value = match.group(1), _scalar(match.group(2))
        if key == "name" and not name:
            name = value
        elif key == "version" and _TEMPLATE.search(value):
            versions.update(_TEMPLATE.sub(v, value) for v in set_versions)
        elif key == "version":
            versions.add(value)
    if not name or not versions:
        raise ValueError("a recipe without a package name or version in its package: block")
    return name, sorted(versions, key=version_key)


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Orders release numbers numerically ("1.10" after "1.9"); other parts as text."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in version.split("."))


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def _add(packages: dict[str, list[str]], name: str, versions: list[str]) -> None:
    merged = set(packages.get(normalise(name), [])) | set(versions)
    packages[normalise(name)] = sorted(merged, key=version_key)


def read_recipes(repo: Path, rev: str) -> dict[str, list[str]]:
    """Normalised package name -> versions, for every recipe of `repo` at `rev`."""
    packages: dict[str, list[str]] = {}
    for folder in _git(repo, "ls-tree", "--name-only", f"{rev}:recipes").split():
        try:
            text = _git(repo, "show", f"{rev}:recipes/{folder}/meta.yaml")
        except subprocess.CalledProcessError:
            continue  # a folder without a recipe
        try:
            _add(packages, *recipe_versions(text))
        except ValueError as error:
            raise ValueError(f"recipes/{folder}/meta.yaml: {error}") from error
    return packages


def read_earlier(repo: Path, rev: str, current: dict[str, list[str]]) -> dict[str, list[str]]:
    """Versions the recipes had on the main line before `rev` and have no more.

    mobile-forge publishes a recipe's wheels when it changes on its main branch, so these
    were built then (first-parent history only: a pull request's drafts never were).
    """
    earlier: dict[str, list[str]] = {}
    log = _git(repo, "log", "--first-parent", "-m", "--format=@%H", "--name-only", rev)
    commit = ""
    for line in log.splitlines():
        if line.startswith("@"):
            commit = line[1:]
        elif line.startswith("recipes/") and line.endswith("/meta.yaml"):
            try:
                name, versions = recipe_versions(_git(repo, "show", f"{commit}:{line}"))
            except (subprocess.CalledProcessError, ValueError):
                continue  # deleted there, or a draft without a version
            gone = [v for v in versions if v not in current.get(normalise(name), [])]
            if gone:
                _add(earlier, name, gone)
    return earlier


def _table(title: str, packages: dict[str, list[str]]) -> list[str]:
    lines = ["", f"[{title}]"]
    for name in sorted(packages):
        versions = ", ".join(f'"{v}"' for v in packages[name])
        lines.append(f"{name} = [{versions}]")
    return lines


def render(
    packages: dict[str, list[str]], earlier: dict[str, list[str]], commit: str, date: str
) -> str:
    """The TOML text of the list: a header, the snapshot, the recipes' versions now, and
    the versions they had before (one line per package)."""
    lines = [
        "# Packages with mobile wheels (Android, iOS) on pypi.flet.dev: the recipes of",
        f"# flet-dev/mobile-forge ({SOURCE_URL}, BSD-3). [packages]: the",
        "# versions the recipes build at this commit (several where a recipe picks one by",
        "# Python release); [earlier]: versions they built before on its main branch.",
        "# Generated by packaging/build_mobile_wheels_list.py; rebuild it, do not edit it.",
        "",
        "[source]",
        f'repository = "{SOURCE_URL}"',
        f'commit = "{commit}"',
        f'date = "{date}"',
    ]
    lines += _table("packages", packages) + _table("earlier", earlier)
    return "\n".join(lines) + "\n"


def build(repo: Path, rev: str = "HEAD", output: Path = OUTPUT) -> int:
    """Write the list for `repo` at `rev`; return how many packages it has."""
    commit, date = _git(repo, "log", "-1", "--format=%H %cI", rev).split()
    packages = read_recipes(repo, commit)
    earlier = read_earlier(repo, commit, packages)
    output.write_text(render(packages, earlier, commit, date), encoding="utf-8")
    return len(packages)


def main() -> int:
    """Build the list from the given mobile-forge clone and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repo", type=Path, required=True, help="a git clone of mobile-forge")
    parser.add_argument("--rev", default="HEAD", help="the commit to read (default HEAD)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    count = build(args.repo, args.rev, args.output)
    print(f"{count} packages -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
