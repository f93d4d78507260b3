"""The model manager: which GGUF models this device has, and which one is active.

A model is named by a spec: `bundled`, the file name (without `.gguf`) of a
model in the models folder, or a path to any .gguf file.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from router.errors import ModelDownloadError, ModelNotFoundError
from router.install_hints import pip_install_command
from router.models.bundled import (
    BUNDLED_FILE,
    BUNDLED_NAME,
    BUNDLED_SIZE,
    Progress,
    assemble_bundled,
    bundled_installed,
)

ModelSource = Literal["bundled", "downloaded", "file"]


@dataclass(frozen=True)
class ModelEntry:
    """One model `tandem models list` shows."""

    name: str
    source: ModelSource
    path: Path | None
    size_bytes: int
    ready: bool
    active: bool
    note: str = ""


class ModelManager:
    """Finds, assembles and downloads models under one models folder."""

    def __init__(self, models_dir: Path, active_spec: str = "bundled") -> None:
        self.models_dir = models_dir
        self.active_spec = active_spec

    def _is_active(self, name: str, path: Path | None) -> bool:
        spec = self.active_spec
        if spec == name:
            return True
        return path is not None and Path(spec).expanduser().resolve() == path.resolve()

    def list_models(self) -> list[ModelEntry]:
        """Return the bundled model, every .gguf in the models folder, and the active file."""
        bundled_path = self.models_dir / BUNDLED_FILE
        assembled = bundled_path.is_file() and bundled_path.stat().st_size == BUNDLED_SIZE
        entries = [
            ModelEntry(
                name="bundled",
                source="bundled",
                path=bundled_path if assembled else None,
                size_bytes=BUNDLED_SIZE,
                ready=assembled or bundled_installed(),
                active=self.active_spec == "bundled",
                note=f"{BUNDLED_NAME}; "
                + (
                    "assembled"
                    if assembled
                    else "assembled on first use"
                    if bundled_installed()
                    else f"not installed: {pip_install_command('model')}"
                ),
            )
        ]
        if self.models_dir.is_dir():
            for path in sorted(self.models_dir.glob("*.gguf")):
                if path.name == BUNDLED_FILE:
                    continue
                entries.append(
                    ModelEntry(
                        name=path.stem,
                        source="downloaded",
                        path=path,
                        size_bytes=path.stat().st_size,
                        ready=True,
                        active=self._is_active(path.stem, path),
                    )
                )
        if not any(e.active for e in entries):
            path = Path(self.active_spec).expanduser()
            entries.append(
                ModelEntry(
                    name=str(path),
                    source="file",
                    path=path,
                    size_bytes=path.stat().st_size if path.is_file() else 0,
                    ready=path.is_file(),
                    active=True,
                    note="" if path.is_file() else "file not found",
                )
            )
        return entries

    def resolve(self, spec: str | None = None, progress: Progress | None = None) -> Path:
        """Return the GGUF path for `spec` (default: the active model), assembling if needed."""
        spec = spec or self.active_spec
        if spec == "bundled":
            return assemble_bundled(self.models_dir, progress)
        named = self.models_dir / f"{spec}.gguf"
        if named.is_file():
            return named
        path = Path(spec).expanduser()
        if path.is_file():
            return path.resolve()
        raise ModelNotFoundError(
            f"no model called {spec!r} (not a name in {self.models_dir}, nor a file)",
            "run `tandem models list` to see what is available, or give a path to a .gguf file",
        )

    def pull(self, repo_id: str, filename: str) -> Path:
        """Download `filename` from the Hugging Face repo `repo_id` into the models folder.

        huggingface_hub draws its own progress bar. Fails with a clear
        `ModelDownloadError` when offline or when the repo or file does not exist.
        """
        if not filename.endswith(".gguf"):
            raise ModelDownloadError(
                f"{filename!r} is not a .gguf file", "pick a GGUF file from the repository"
            )
        try:
            from huggingface_hub import hf_hub_download
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise ModelDownloadError(
                "huggingface_hub is not installed", f"reinstall: {pip_install_command()}"
            ) from exc
        if not os.environ.get("HF_HUB_OFFLINE"):
            _check_reachable(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
        self.models_dir.mkdir(parents=True, exist_ok=True)
        try:
            downloaded = hf_hub_download(
                repo_id=repo_id, filename=filename, local_dir=str(self.models_dir)
            )
        except Exception as exc:
            raise ModelDownloadError(
                f"could not download {filename} from {repo_id}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": "),
                "check the repository and file names and your internet connection; offline, "
                "copy the .gguf file over and set [local] model to its path",
            ) from exc
        return Path(downloaded)


def _check_reachable(endpoint: str, timeout_s: float = 5.0) -> None:
    """Fail fast when the hub cannot be reached, instead of after a minute of retries."""
    parts = urlsplit(endpoint)
    host = parts.hostname or endpoint
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise ModelDownloadError(
            f"cannot reach {host} to download models ({exc.strerror or exc})",
            "you seem to be offline; connect and try again, or copy a .gguf file over and "
            "set [local] model to its path",
        ) from exc
