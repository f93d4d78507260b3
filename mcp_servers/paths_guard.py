"""Confines every path an MCP client sends to the root folders the user chose.

Clients address files by *virtual* paths: `<root name>/<relative path>`, where a
root's name is its folder's base name (`Documents`, `Documents-2` for a second
folder of that name). An absolute path is accepted only when it names a
location under a root folder, compared component by component (so `/root_evil`
is not under `/root`). Anything else - `..`, `~`, NUL bytes, backslashes, drive
letters, percent-encoded tricks - is refused before the file system is touched.

After the syntax check the real path is resolved (symlinks followed) and checked
again, so a symlink inside a root that points outside is treated like a path
outside. Every refusal that could depend on the file system raises the same
`PathRefused` message, so a client cannot learn whether something outside the
roots exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from router.errors import TandemError

MAX_PATH_CHARS = 4096
NOT_FOUND = "no such file or folder in the shared folders"
_DRIVE = re.compile(r"^[A-Za-z]:")


class PathRefused(TandemError):
    """A path is outside the shared folders, missing, or malformed (one message for all)."""

    def __init__(self, path: str = "") -> None:
        # The path is not echoed: the message must be byte-identical for every refusal,
        # so no answer differs between "exists outside" and "missing outside".
        del path
        super().__init__(
            NOT_FOUND,
            "use a path from files_list, relative to a shared folder, e.g. 'Documents/notes.txt'",
        )


class NoRootsError(TandemError):
    """The files server was started without any usable root folder."""


@dataclass(frozen=True)
class Root:
    """One shared folder: its name in virtual paths and its real location."""

    name: str
    path: Path


@dataclass(frozen=True)
class Located:
    """A virtual path checked against the roots: its root, parts and real location."""

    root: Root
    parts: tuple[str, ...]
    real: Path

    @property
    def virtual(self) -> str:
        """The path as clients write it."""
        return "/".join((self.root.name, *self.parts))


class PathGuard:
    """Maps virtual paths to real ones inside the roots, refusing everything else."""

    def __init__(self, roots: Sequence[str | os.PathLike[str]]) -> None:
        resolved: list[Root] = []
        seen: set[Path] = set()
        for raw in roots:
            real = Path(os.path.realpath(os.path.expanduser(os.fspath(raw))))
            if not real.is_dir():
                raise NoRootsError(
                    f"shared folder {os.fspath(raw)!r} is not a folder",
                    "pass existing folders with --root",
                )
            if real in seen:
                continue
            seen.add(real)
            resolved.append(Root(_unique_name(real.name or "root", resolved), real))
        if not resolved:
            raise NoRootsError(
                "the files server needs at least one shared folder",
                "pass one or more --root DIR (or set TANDEM_MCP_ROOTS)",
            )
        self.roots: tuple[Root, ...] = tuple(resolved)

    def parse(self, path: str) -> tuple[Root, tuple[str, ...]] | None:
        """Check the syntax of `path`; return its root and parts, or None for the top level.

        Raises `PathRefused` for anything malformed or not under a root.
        """
        if not isinstance(path, str) or len(path) > MAX_PATH_CHARS:
            raise PathRefused()
        for form in _decodings(path):
            if "\x00" in form or "\\" in form or form.startswith("~") or _DRIVE.match(form):
                raise PathRefused(path)
            if any(part == ".." for part in form.split("/")):
                raise PathRefused(path)
            if any(ord(ch) < 32 for ch in form):
                raise PathRefused(path)
        if path.startswith("/"):
            return self._parse_absolute(path)
        parts = tuple(p for p in path.split("/") if p not in ("", "."))
        if not parts:
            return None
        root = next((r for r in self.roots if r.name == parts[0]), None)
        if root is None:
            raise PathRefused(path)
        return root, parts[1:]

    def _parse_absolute(self, path: str) -> tuple[Root, tuple[str, ...]]:
        given = PurePosixPath(path).parts
        for root in self.roots:
            base = PurePosixPath(root.path).parts
            # Component-wise prefix: '/root_evil' has the component 'root_evil', not 'root'.
            if given[: len(base)] == base:
                return root, tuple(p for p in given[len(base) :] if p != ".")
        raise PathRefused(path)

    def locate(self, path: str) -> Located:
        """The existing file or folder `path` names, with its real path inside a root."""
        parsed = self.parse(path)
        if parsed is None:
            raise PathRefused(path)
        root, parts = parsed
        real = Path(os.path.realpath(root.path.joinpath(*parts)))
        if not self.inside(real) or not _exists(real):
            raise PathRefused(path)
        return Located(root, parts, real)

    def locate_new(self, path: str) -> Located:
        """Where a new file `path` would go: its parent must exist inside a root.

        The last component must not be a symlink (writes never go through one).
        """
        parsed = self.parse(path)
        if parsed is None or not parsed[1]:
            raise PathRefused(path)
        root, parts = parsed
        parent = Path(os.path.realpath(root.path.joinpath(*parts[:-1])))
        if not self.inside(parent) or not parent.is_dir():
            raise PathRefused(path)
        target = parent / parts[-1]
        if target.is_symlink():
            raise PathRefused(path)
        return Located(root, parts, target)

    def inside(self, real: Path) -> bool:
        """Whether the resolved path `real` is a root or lies under one."""
        return any(real == r.path or real.is_relative_to(r.path) for r in self.roots)

    def virtual_of(self, real: Path) -> str:
        """The virtual path of a real path inside a root (first matching root)."""
        for root in self.roots:
            if real == root.path:
                return root.name
            if real.is_relative_to(root.path):
                return "/".join((root.name, *real.relative_to(root.path).parts))
        raise PathRefused()


def _unique_name(name: str, taken: Sequence[Root]) -> str:
    names = {r.name for r in taken}
    if name not in names:
        return name
    n = 2
    while f"{name}-{n}" in names:
        n += 1
    return f"{name}-{n}"


def _decodings(path: str) -> list[str]:
    """`path` and its percent-decoded forms: an encoded '..' is refused like a plain one."""
    forms = [path]
    for _ in range(3):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def _exists(real: Path) -> bool:
    try:
        real.stat()
    except (OSError, ValueError):
        return False
    return True
