"""Running code as on a phone: the heavy packages fail to import, as if never installed.

`run_blocked` starts a fresh interpreter (a module already imported here would not
be blocked there) whose `sys.meta_path` begins with `BlockedImports`, runs a script
and returns what it printed. The script sees the repository first on `sys.path`.
"""

from __future__ import annotations

import importlib.abc
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

HEAVY: tuple[str, ...] = (
    "llama_cpp",
    "chromadb",
    "onnxruntime",
    "spacy",
    "keyring",
    "psutil",
    "cv2",
    "torch",
)
"""What a phone lacks (issue 20): the router must import and run a turn without each."""


class BlockedImports(importlib.abc.MetaPathFinder):
    """A finder that refuses the top-level packages `names` and everything under them."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)
        self.refused: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.split(".")[0] in self.names:
            self.refused.append(fullname)
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked)", name=fullname)
        return None


def install(names: Iterable[str] = HEAVY) -> BlockedImports:
    """Put a `BlockedImports` first on `sys.meta_path` (in a fresh process only)."""
    finder = BlockedImports(names)
    loaded = sorted(n for n in sys.modules if n.split(".")[0] in finder.names)
    if loaded:
        raise RuntimeError(f"already imported, cannot block: {', '.join(loaded)}")
    sys.meta_path.insert(0, finder)
    return finder


def loaded_heavy(names: Iterable[str] = HEAVY) -> list[str]:
    """The modules of `names` this process imported (should stay empty)."""
    blocked = frozenset(names)
    return sorted(n for n in sys.modules if n.split(".")[0] in blocked)


def run_blocked(
    script: str,
    *,
    blocked: Iterable[str] = HEAVY,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout_s: float = 240,
) -> subprocess.CompletedProcess[str]:
    """Run `script` in a fresh interpreter with `blocked` unimportable; fails loudly on error.

    `cwd` comes first on the script's `sys.path`, then `env`'s PYTHONPATH (the repository).
    """
    prelude = f"from tests.support.blocked import install\ninstall({sorted(set(blocked))!r})\n"
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def last_json(done: subprocess.CompletedProcess[str]) -> Any:
    """The JSON object the script printed last (its report)."""
    return json.loads(done.stdout.strip().splitlines()[-1])
