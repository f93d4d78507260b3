"""Install commands that work for this installation, for error hints and `tandem doctor`.

The `tandem` distribution on PyPI is an unrelated project, so a hint must never
say `pip install tandem`: Tandem is installed from its checkout, editable,
into the checkout's `.venv` (the README's commands). When this process runs
from such a checkout, the command names the folder; otherwise it says where to
run it.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def checkout_root() -> Path | None:
    """The Tandem checkout this code runs from, or None for a non-editable install."""
    # An editable install imports the package from the checkout itself.
    if (_ROOT / "pyproject.toml").is_file() and (_ROOT / "router").is_dir():
        return _ROOT
    return None


def pip_install_command(extra: str | None = None, *, force: bool = False) -> str:
    """The shell command that (re)installs Tandem, with optional extra `extra` (e.g. "ner")."""
    target = f"'.[{extra}]'" if extra else "."
    flags = "--force-reinstall " if force else ""
    root = checkout_root()
    if root is None:
        return f".venv/bin/pip install {flags}-e {target}  (in your Tandem checkout)"
    in_checkout_venv = Path(sys.prefix).resolve() == (root / ".venv").resolve()
    pip = ".venv/bin/pip" if in_checkout_venv else f"{shlex.quote(sys.executable)} -m pip"
    # The lock the README's commands install, so a fix does not drift from the tested set.
    lock = "-c constraints.txt " if (root / "constraints.txt").is_file() else ""
    return f"cd {shlex.quote(str(root))} && {pip} install {flags}{lock}-e {target}"
