"""The files server's operations on disk, each confined by a `PathGuard`.

Reads resolve real paths and check them against the roots; writes open the final
component with `O_NOFOLLOW` relative to the already-checked parent folder, so an
existing symlink is never written through. OS errors are reported by their
reason alone (`strerror`), never with a path.
"""

from __future__ import annotations

import contextlib
import fnmatch
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from mcp_servers.paths_guard import Located, PathGuard, PathRefused
from router.errors import TandemError

Kind = Literal["file", "folder"]
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FilesError(TandemError):
    """A file operation inside the shared folders failed (too big, exists, not a file...)."""


@dataclass(frozen=True)
class FileLimits:
    """Upper bounds that keep one call cheap and its answer small."""

    max_read_bytes: int = 1024 * 1024
    max_write_bytes: int = 1024 * 1024
    max_list_entries: int = 500
    max_search_results: int = 100
    max_search_files: int = 5000
    max_search_bytes: int = 64 * 1024 * 1024
    """Total bytes a content search reads before it stops (truncated=True)."""


class Entry(BaseModel):
    """One file or folder in a listing."""

    name: str = Field(description="File or folder name.")
    path: str = Field(description="Virtual path to pass to the other files tools.")
    kind: Kind = Field(description="'file' or 'folder'.")
    size: int = Field(description="Size in bytes (0 for folders).")
    modified: str = Field(description="Last modification time, ISO 8601 UTC.")


class Listing(BaseModel):
    """The content of a folder (or, at the top level, the shared folders)."""

    path: str = Field(description="The folder listed ('' is the list of shared folders).")
    entries: list[Entry] = Field(description="Entries, sorted by name.")
    total: int = Field(description="How many entries the folder has in all.")
    truncated: bool = Field(description="True when entries stop at the listing limit.")


class FileStat(BaseModel):
    """Metadata of one file or folder."""

    path: str = Field(description="Virtual path.")
    kind: Kind = Field(description="'file' or 'folder'.")
    size: int = Field(description="Size in bytes (0 for folders).")
    modified: str = Field(description="Last modification time, ISO 8601 UTC.")
    mime_type: str | None = Field(description="Guessed MIME type, for files.")


class SearchHit(BaseModel):
    """A file whose name, or one of whose lines, matched the query."""

    path: str = Field(description="Virtual path of the file.")
    line: int | None = Field(description="1-based line number for content matches.")
    snippet: str | None = Field(description="The matching line (trimmed), for content matches.")


class SearchResult(BaseModel):
    """Matches of one search."""

    query: str = Field(description="The query as given.")
    hits: list[SearchHit] = Field(description="Matches, in folder-walk order.")
    truncated: bool = Field(description="True when the result or file-scan limit was reached.")


class WriteResult(BaseModel):
    """What a write, append or move did."""

    path: str = Field(description="Virtual path written (the destination for a move).")
    action: Literal["written", "appended", "moved"] = Field(description="What happened.")
    size: int = Field(description="File size afterwards, in bytes.")


def list_folder(guard: PathGuard, path: str, limits: FileLimits) -> Listing:
    """List a folder inside the roots; '' lists the shared folders themselves."""
    if guard.parse(path) is None:
        entries = [_entry(r.name, r.name, r.path) for r in guard.roots]
        return Listing(path="", entries=entries, total=len(entries), truncated=False)
    loc = guard.locate(path)
    if not loc.real.is_dir():
        raise FilesError("not a folder", "use files_read for files")
    visible = sorted(_visible_children(guard, loc), key=lambda pair: pair[0])
    entries = [
        _entry(name, f"{loc.virtual}/{name}", real)
        for name, real in visible[: limits.max_list_entries]
    ]
    return Listing(
        path=loc.virtual,
        entries=entries,
        total=len(visible),
        truncated=len(visible) > limits.max_list_entries,
    )


def stat_path(guard: PathGuard, path: str) -> FileStat:
    """Metadata of a file or folder inside the roots."""
    loc = guard.locate(path)
    entry = _entry(loc.real.name, loc.virtual, loc.real)
    mime = None if entry.kind == "folder" else guess_mime(loc.real)
    return FileStat(
        path=entry.path,
        kind=entry.kind,
        size=entry.size,
        modified=entry.modified,
        mime_type=mime,
    )


def read_file(guard: PathGuard, path: str, limits: FileLimits) -> tuple[Located, bytes]:
    """The bytes of a file inside the roots, refused above `max_read_bytes`."""
    loc = guard.locate(path)
    if not loc.real.is_file():
        raise FilesError("not a file", "use files_list for folders")
    try:
        size = loc.real.stat().st_size
        if size > limits.max_read_bytes:
            raise FilesError(
                f"the file is {size} bytes, over the {limits.max_read_bytes}-byte read limit",
                "search it with files_search(content=True) instead",
            )
        with loc.real.open("rb") as handle:
            data = handle.read(limits.max_read_bytes + 1)
    except OSError as exc:
        raise FilesError(f"could not read: {exc.strerror}") from None
    return loc, data


def as_text(data: bytes) -> str | None:
    """The text of `data` when it is UTF-8 text, None when it is binary."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def guess_mime(real: Path) -> str:
    """The MIME type guessed from the file name, octet-stream when unknown."""
    return mimetypes.guess_type(real.name)[0] or "application/octet-stream"


def search(
    guard: PathGuard, query: str, path: str, content: bool, limits: FileLimits
) -> SearchResult:
    """Files under `path` whose name matches `query` (glob or substring), or lines containing it."""
    if not query:
        raise FilesError("the search query is empty", "pass part of a name, or a glob like '*.md'")
    parsed = guard.parse(path)
    tops = [r.path for r in guard.roots] if parsed is None else [guard.locate(path).real]
    needle = query.lower()
    is_glob = any(ch in query for ch in "*?[")
    hits: list[SearchHit] = []
    scanned = 0
    read = 0
    for real in _walk_files(guard, tops):
        scanned += 1
        over = scanned > limits.max_search_files or read > limits.max_search_bytes
        if over or len(hits) >= limits.max_search_results:
            return SearchResult(query=query, hits=hits, truncated=True)
        virtual = guard.virtual_of(real)
        name = real.name.lower()
        if not content:
            if fnmatch.fnmatch(name, needle) if is_glob else needle in name:
                hits.append(SearchHit(path=virtual, line=None, snippet=None))
            continue
        with contextlib.suppress(OSError):
            read += real.stat().st_size
        for number, line in _matching_lines(real, needle, limits.max_read_bytes):
            hits.append(SearchHit(path=virtual, line=number, snippet=line[:200]))
            if len(hits) >= limits.max_search_results:
                break
    return SearchResult(query=query, hits=hits, truncated=False)


def write_file(
    guard: PathGuard, path: str, text: str, overwrite: bool, limits: FileLimits
) -> WriteResult:
    """Create (or, with `overwrite`, replace) a text file inside the roots."""
    data = _encoded(text, limits)
    loc = guard.locate_new(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    _write(loc, flags, data, "write")
    return WriteResult(path=loc.virtual, action="written", size=len(data))


def append_file(guard: PathGuard, path: str, text: str, limits: FileLimits) -> WriteResult:
    """Append text to a file inside the roots (created when missing)."""
    data = _encoded(text, limits)
    loc = guard.locate_new(path)
    size = _write(loc, os.O_WRONLY | os.O_CREAT | os.O_APPEND, data, "append")
    return WriteResult(path=loc.virtual, action="appended", size=size)


def move_path(guard: PathGuard, source: str, destination: str) -> WriteResult:
    """Rename a file or folder within the roots; never replaces an existing destination."""
    src = guard.locate(source)
    parsed = guard.parse(source)
    if parsed is None or not parsed[1]:
        raise FilesError("a shared folder itself cannot be moved")
    if parsed[0].path.joinpath(*parsed[1]).is_symlink():
        raise PathRefused(source)
    dst = guard.locate_new(destination)
    if os.path.lexists(dst.real):
        raise FilesError("the destination already exists", "choose a new name")
    try:
        os.rename(src.real, dst.real)
        size = 0 if dst.real.is_dir() else dst.real.stat().st_size
    except OSError as exc:
        raise FilesError(f"could not move: {exc.strerror}") from None
    return WriteResult(path=dst.virtual, action="moved", size=size)


def _encoded(text: str, limits: FileLimits) -> bytes:
    data = text.encode("utf-8")
    if len(data) > limits.max_write_bytes:
        raise FilesError(f"the text is over the {limits.max_write_bytes}-byte write limit")
    return data


def _write(loc: Located, flags: int, data: bytes, op: str) -> int:
    """Write through an fd opened without following a symlink at the last component."""
    try:
        dir_fd = os.open(loc.real.parent, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        try:
            fd = os.open(loc.real.name, flags | _NOFOLLOW | _CLOEXEC, 0o644, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        try:
            os.write(fd, data)
            return os.fstat(fd).st_size
        finally:
            os.close(fd)
    except FileExistsError:
        raise FilesError(
            "the file already exists", "pass overwrite=true to replace it, or use files_append"
        ) from None
    except OSError as exc:
        raise FilesError(f"could not {op}: {exc.strerror}") from None


def _visible_children(guard: PathGuard, loc: Located) -> Iterator[tuple[str, Path]]:
    """Children whose real path exists inside a root: escaping or broken links are hidden."""
    try:
        names = os.listdir(loc.real)
    except OSError as exc:
        raise FilesError(f"could not list: {exc.strerror}") from None
    for name in names:
        real = Path(os.path.realpath(loc.real / name))
        if guard.inside(real) and real.exists():
            yield name, real


def _walk_files(guard: PathGuard, tops: list[Path]) -> Iterator[Path]:
    for top in tops:
        # followlinks=False: a symlinked folder is never descended into.
        for folder, _dirs, files in os.walk(top, followlinks=False):
            for name in sorted(files):
                real = Path(os.path.realpath(Path(folder) / name))
                if guard.inside(real) and real.is_file():
                    yield real


def _matching_lines(real: Path, needle: str, max_bytes: int) -> Iterator[tuple[int, str]]:
    try:
        if real.stat().st_size > max_bytes:
            return
        text = as_text(real.read_bytes())
    except OSError:
        return
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line.lower():
            yield number, line.strip()


def _entry(name: str, virtual: str, real: Path) -> Entry:
    st = real.stat()
    is_dir = real.is_dir()
    return Entry(
        name=name,
        path=virtual,
        kind="folder" if is_dir else "file",
        size=0 if is_dir else st.st_size,
        modified=datetime.fromtimestamp(st.st_mtime, UTC).isoformat(),
    )
