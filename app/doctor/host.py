"""Checks of this machine: Chromium for the browser tests, and the data folders and disk."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from app.doctor.check import Check, Context, shell_quote
from router import TandemPaths
from router.install_hints import checkout_root

CHROMIUM = "/usr/bin/chromium"
"""Where the browser tests (tests/e2e/conftest.py) look for Chromium."""
LOW_DISK_BYTES = 1 << 30
"""Below this much free space, assembling or downloading a model can fail."""


def check_chromium(context: Context) -> Check:
    """Chromium where the browser tests look for it."""
    title = "Chromium (browser tests)"
    on_path = shutil.which("chromium")
    if Path(CHROMIUM).is_file():
        return Check("chromium", title, "ok", f"{CHROMIUM} {_chromium_version(CHROMIUM)}".strip())
    if on_path:
        return Check(
            "chromium",
            title,
            "warn",
            f"{on_path} found, but the browser tests (tests/e2e) look for {CHROMIUM}",
            f"sudo ln -s {shell_quote(on_path)} {CHROMIUM}",
        )
    relevance = "only needed for the browser tests in tests/e2e"
    if checkout_root() is None:
        return Check("chromium", title, "ok", f"not installed ({relevance})")
    return Check(
        "chromium",
        title,
        "warn",
        f"not installed ({relevance})",
        "sudo apt-get install chromium",
    )


def _chromium_version(executable: str) -> str:
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


def check_data(context: Context) -> Check:
    """The data folders: what they hold, whether they are writable, free disk."""
    paths = context.paths
    lines = [f"config: {paths.config_dir}"]
    unreadable: list[str] = []
    data = paths.data_dir
    if not data.exists():
        lines.append(f"data:   {data} (not created yet)")
    else:
        total = _size(data, unreadable)
        lines.append(f"data:   {data}  {_bytes(total)}")
        # The known parts first, then whatever else lives there (logs, checks, attachments).
        known = {
            paths.models_dir.name: "models",
            paths.ledger_file.name: "ledger",
            "memory": "memory (Chroma)",
            "logs": "logs",
        }
        entries = sorted(_entries(data, unreadable), key=lambda p: (p.name not in known, p.name))
        for entry in entries:
            label = known.get(entry.name, entry.name)
            suffix = "/" if entry.is_dir() else ""
            lines.append(f"  {label:<16} {entry.name}{suffix}  {_bytes(_size(entry, unreadable))}")
    free = _free_space(data)
    if free is not None:
        lines.append(f"free:   {_bytes(free)} on that disk")
    problem = _not_writable(paths)
    if unreadable or problem:
        where = problem or unreadable[0]
        lines += [f"cannot read: {p}" for p in unreadable]
        if problem:
            lines.append(f"cannot write: {problem}")
        quoted = shell_quote(where)
        return Check(
            "data",
            "Data folders",
            "problem",
            "\n".join(lines),
            f'sudo chown -R "$(id -un)" {quoted} && chmod -R u+rwX {quoted}',
        )
    if free is not None and free < LOW_DISK_BYTES:
        return Check(
            "data",
            "Data folders",
            "warn",
            "\n".join(lines) + "\nless than 1 GB free: assembling or downloading a model can fail",
            f"free some space on the disk of {data}, or move it with TANDEM_HOME",
        )
    return Check("data", "Data folders", "ok", "\n".join(lines))


def _entries(folder: Path, unreadable: list[str]) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        unreadable.append(str(folder))
        return []


def _size(path: Path, unreadable: list[str]) -> int:
    """Bytes under `path` (symlinks not followed); unreadable folders are noted, not fatal."""
    try:
        if not path.is_dir() or path.is_symlink():
            return path.lstat().st_size
    except OSError:
        unreadable.append(str(path))
        return 0
    total = 0
    for root, dirs, files in os.walk(path, onerror=lambda e: unreadable.append(str(e.filename))):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                unreadable.append(str(Path(root) / name))
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
    return total


def _not_writable(paths: TandemPaths) -> str | None:
    """The first existing Tandem folder this user cannot write to, if any."""
    for folder in (paths.config_dir, paths.data_dir, paths.models_dir):
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            return str(folder)
    return None


def _free_space(folder: Path) -> int | None:
    # The folder may not exist yet: its nearest existing parent is on the same disk.
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} GB"
