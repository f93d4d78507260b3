"""Where Tandem keeps its configuration and data.

`TANDEM_HOME` relocates everything under one folder (tests use it to stay
isolated); otherwise the platform's standard user folders are used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "tandem"


@dataclass(frozen=True)
class TandemPaths:
    """The folders and files Tandem reads and writes."""

    config_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        """The user's settings file (TOML)."""
        return self.config_dir / "config.toml"

    @property
    def models_dir(self) -> Path:
        """Folder holding assembled and downloaded GGUF models."""
        return self.data_dir / "models"

    @property
    def ledger_file(self) -> Path:
        """SQLite database with every turn."""
        return self.data_dir / "ledger.sqlite3"

    def ensure(self) -> TandemPaths:
        """Create the folders if they do not exist yet, and return self."""
        for folder in (self.config_dir, self.data_dir, self.models_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(home: str | os.PathLike[str] | None = None) -> TandemPaths:
    """Return Tandem's folders: under `home` or `TANDEM_HOME` if set, else platform defaults."""
    root = home if home is not None else os.environ.get("TANDEM_HOME")
    if root:
        base = Path(root).expanduser().resolve()
        return TandemPaths(config_dir=base / "config", data_dir=base / "data")
    return TandemPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
    )
