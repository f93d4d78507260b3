"""pip's resolver for packaging/check_mobile_deps.py: what a requirement list installs.

pip runs in isolated mode (no pip.conf, no PIP_* variables), so the machine's own index
settings and constraints do not change the answer; `--dry-run --report` installs nothing
and lists every package with the file pip chose (pip >= 22.2).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_NO_MATCH = "No matching distribution found"


class PipError(RuntimeError):
    """pip could not resolve the requirements (its last error line is the message)."""


def normalise(name: str) -> str:
    """A distribution name as pip compares it (PEP 503): lower case, runs of -_. as one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Resolved:
    """One package pip would install: its name, version, file and what that file is."""

    name: str
    version: str
    filename: str
    kind: str  # "pure" (a *-any wheel), "compiled" (a platform wheel) or "sdist"
    via: str = ""  # the packages that require it, or "" when the app asks for it itself
    note: str = ""

    @property
    def pin(self) -> str:
        """The requirement for exactly this release."""
        return f"{self.name}=={self.version}"

    def describe(self) -> str:
        """The wheel column: the tags of the file pip chose (its first platform tag)."""
        if self.kind == "sdist":
            return "sdist (needs a build)"
        python, abi, platforms = self.filename.removesuffix(".whl").split("-")[-3:]
        text = f"{self.kind} {python}-{abi}-{platforms.split('.')[0]}"
        return f"{text} ({self.note})" if self.note else text


def file_kind(filename: str) -> str:
    """ "pure" for a wheel that runs anywhere, "compiled" for a platform wheel, else "sdist"."""
    if not filename.endswith(".whl"):
        return "sdist"  # an sdist, a local folder or a VCS checkout: built at install time
    platform = filename.removesuffix(".whl").split("-")[-1]
    return "pure" if platform == "any" else "compiled"


def _run_pip(args: list[str]) -> subprocess.CompletedProcess[str]:
    base = [sys.executable, "-m", "pip", "install", "--isolated", "--disable-pip-version-check"]
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}  # no global pip.conf either
    return subprocess.run(
        [*base, "--dry-run", "--ignore-installed", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def conflict_summary(output: list[str]) -> str:
    """pip's "The conflict is caused by:" lines, each once, the first four of them."""
    start = output.index("The conflict is caused by:") + 1
    end = output.index("", start) if "" in output[start:] else len(output)
    causes = list(dict.fromkeys(output[start:end]))
    more = f"; and {len(causes) - 4} more" if len(causes) > 4 else ""
    return "conflicting requirements: " + "; ".join(causes[:4]) + more


def _last_error(result: subprocess.CompletedProcess[str]) -> str:
    """pip's last error line; for a conflict, the requirements that clash."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    message = (errors or lines or ["no output"])[-1]
    output = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
    if message.startswith("ResolutionImpossible") and "The conflict is caused by:" in output:
        return conflict_summary(output)
    return message


@dataclass
class _Entry:
    """One `install` item of pip's report, reduced to what the check reads."""

    name: str
    version: str
    filename: str
    requested: bool  # the requirement list names it
    extras: set[str]  # the extras the requirement list asks of it
    requires: list[tuple[str, set[str], str]]  # (name, its extras, the extra it serves or "")


def _requirement(text: str) -> tuple[str, set[str], str] | None:
    match = _REQUIREMENT.match(text)
    if match is None:
        return None
    extras = {normalise(e) for e in (match.group(2) or "").split(",") if e.strip()}
    extra = _EXTRA.search(text)
    return normalise(match.group(1)), extras, normalise(extra.group(1)) if extra else ""


def _entry(item: dict[str, Any]) -> _Entry:
    metadata = item["metadata"]
    url = str((item.get("download_info") or {}).get("url", ""))
    requires = [_requirement(str(text)) for text in metadata.get("requires_dist") or []]
    return _Entry(
        name=normalise(str(metadata["name"])),
        version=str(metadata["version"]),
        filename=unquote(urlparse(url).path.rsplit("/", 1)[-1]),
        requested=bool(item.get("requested")),
        extras={normalise(str(e)) for e in item.get("requested_extras") or []},
        requires=[r for r in requires if r is not None],
    )


def _report(args: list[str]) -> list[_Entry]:
    """The packages of pip's report for `args`; PipError when pip fails."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        result = _run_pip(["--report", str(report), *args])
        if result.returncode != 0:
            raise PipError(_last_error(result))
        items = json.loads(report.read_text(encoding="utf-8"))["install"]
    return [_entry(item) for item in items]


def _required_by(entries: list[_Entry]) -> dict[str, set[str]]:
    """Name -> the resolved packages requiring it: plainly, or through an extra that the
    app or a resolved package asks for. Other markers (platform, Python) are not evaluated."""
    wanted = {(e.name, extra) for e in entries for extra in e.extras}
    wanted |= {(dep, x) for e in entries for dep, extras, _ in e.requires for x in extras}
    parents: dict[str, set[str]] = {}
    for entry in entries:
        for dep, _, extra in entry.requires:
            if not extra or (entry.name, extra) in wanted:
                parents.setdefault(dep, set()).add(entry.name)
    return parents


def resolve(requirements: list[str], pip_args: list[str]) -> list[Resolved]:
    """Every package pip would install for `requirements`, sorted by name."""
    entries = _report([*pip_args, *requirements])
    parents = _required_by(entries)
    resolved = [
        Resolved(
            e.name,
            e.version,
            e.filename,
            file_kind(e.filename),
            "" if e.requested else ", ".join(sorted(parents.get(e.name, set()))),
        )
        for e in entries
    ]
    return sorted(resolved, key=lambda r: r.name)


def pure_wheel(item: Resolved, pip_args: list[str]) -> str | None:
    """The file name of a wheel of the same release that runs anywhere, or None.

    pip picked a platform wheel for this machine; a phone takes the pure one if it exists.
    `--platform any` with `--only-binary=:all:` accepts only `*-any` wheels (pip 23 wants
    `--target` with it, which `--dry-run` leaves untouched).
    """
    with tempfile.TemporaryDirectory() as target:
        try:
            only_any = ["--no-deps", "--only-binary=:all:", "--platform=any"]
            found = _report([*pip_args, *only_any, f"--target={target}", item.pin])
        except PipError as error:
            if _NO_MATCH in str(error) or "satisfies the requirement" in str(error):
                return None
            raise
    return next((e.filename for e in found if file_kind(e.filename) == "pure"), None)
