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

NOT_ON_THE_PHONE: dict[str, str] = {
    "llama_cpp": "a model on the phone: only with packaging/mobile's optional local-model group",
    "gguf": "reads a model file's header: only with the optional local-model group",
    "chromadb": "memory search is off on the phone (no mobile wheel)",
    "onnxruntime": "the embedding model: memory and routing embeddings are off on the phone",
    "tokenizers": "the embedding model's tokenizer, with onnxruntime",
    "spacy": "the NER detector is off on the phone (no mobile wheel)",
    "presidio_analyzer": "the NER detector, with spaCy",
    "tldextract": "the NER detector's domain check, with spaCy",
    "keyring": "the phone keeps its keys in its own store (app/mobile/store.py)",
    "psutil": "battery and CPU readings: the phone reads its own sensors",
    "cv2": "the desktop camera (OpenCV)",
    "torch": "never installed by Tandem",
    "mcp": "MCP tools are off on the phone (app/mobile/runtime.py phone_settings)",
    "mcp_types": "MCP tools are off on the phone, with mcp",
    "huggingface_hub": "downloads the bundled desktop model",
    "matplotlib": "router/learn's training reports, run on a desktop",
    "starlette": "serves your Tandem's edge API on the desktop; the phone is its client",
    "uvicorn": "serves your Tandem's edge API on the desktop",
    "pypdf": "reads attached PDFs: the phone app attaches no files",
    "docx": "reads attached Word files (python-docx): the phone app attaches no files",
}
"""Import name -> why the phone app runs without it: what packaging/mobile/pyproject.toml
does not install (tests/packaging/test_mobile_imports.py checks that every other import of
the phone's code is declared there). The phone tests block all of them."""

PHONE_LACKS: tuple[str, ...] = tuple(NOT_ON_THE_PHONE)


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
