"""What a tree of Python files imports from outside itself, read from the source with ast."""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection, Iterable
from pathlib import Path


def third_party_imports(
    paths: Iterable[Path], root: Path, own: Collection[str]
) -> dict[str, set[str]]:
    """Top-level modules the files at `paths` import anywhere (absolute imports; not the
    standard library, not the packages in `own`) -> the files importing them, relative
    to `root`."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for top in {module.split(".")[0] for module in modules} - set(own):
                if top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(root)))
    return found
