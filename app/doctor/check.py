"""A report line (`Check`), what the checks look at (`Context`), and their shared helpers."""

from __future__ import annotations

import importlib.metadata
import shlex
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from router import TandemPaths

if TYPE_CHECKING:
    from router import Settings

Status = Literal["ok", "warn", "problem"]


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    id: str
    """Stable key for scripts (`--json`): cpu, llama, model, selftest, ner, ..."""
    title: str
    status: Status
    detail: str
    fix: str = ""
    """The command (or the one edit) that fixes it; empty when nothing needs doing."""

    def as_dict(self) -> dict[str, str]:
        """The check as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class Context:
    """What the checks look at: Tandem's folders, its settings, and whether to load models."""

    paths: TandemPaths
    settings: Settings | None
    """None when the settings cannot be loaded (the `config` check says why)."""
    load: bool = True
    """Also load the embedding model and the NER pipeline, to prove they work (seconds)."""

    def setting(self, section: str, name: str, default: Any) -> Any:
        """A setting's value, or `default` when the settings (or that field) are missing."""
        # getattr: fields such as [local] cpu_extra_buffers are newer than some builds.
        return getattr(getattr(self.settings, section, None), name, default)


CheckFn = Callable[[Context], Check]


def installed_version(distribution: str) -> str:
    """The installed version of `distribution`, or "" when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def shell_quote(path: str | Path) -> str:
    """`path` quoted for a command the user pastes into a shell."""
    return shlex.quote(str(path))
