"""The Claude Desktop config snippet, shown by `tandem mcp config` and the app's MCP section."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path


def claude_desktop_config(roots: list[str], servers: str | None) -> str:
    """The `mcpServers` JSON that starts `tandem mcp serve` over stdio from Claude Desktop."""
    # The venv's own `tandem` first: Claude Desktop starts it without the venv on PATH.
    beside = Path(sys.executable).with_name("tandem")
    exe = str(beside) if beside.exists() else shutil.which("tandem")
    command, prefix = (exe, []) if exe else (sys.executable, ["-m", "app.cli"])
    args = [*prefix, "mcp", "serve", "--transport", "stdio"]
    if servers:
        args += ["--servers", servers]
    for root in roots:
        args += ["--root", os.path.abspath(os.path.expanduser(root))]
    snippet = {"mcpServers": {"tandem": {"command": command, "args": args}}}
    return json.dumps(snippet, indent=2)
