"""Shared fixtures: isolated Tandem folders and real GGUF models."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from router.endpoints.llama_model import unload_all
from router.models.bundled import assemble_bundled
from router.paths import TandemPaths, resolve_paths
from tests.support.tiny_gguf import write_tiny_gguf


@pytest.fixture(autouse=True, scope="session")
def _no_user_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests that do not ask for `tandem_home` still never write the user's own data folder.

    (Model workers record their CPU self-test there, for one.)
    """
    saved = os.environ.get("TANDEM_HOME")
    if saved is None:
        os.environ["TANDEM_HOME"] = str(tmp_path_factory.mktemp("session-home"))
    yield
    if saved is None:
        os.environ.pop("TANDEM_HOME", None)


@pytest.fixture
def tandem_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TandemPaths:
    """Point TANDEM_HOME at a fresh folder, so nothing touches the user's files."""
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    for name in ("TANDEM_LOCAL__MODEL", "TANDEM_LOCAL__N_CTX", "TANDEM_GENERATION__MAX_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    return resolve_paths().ensure()


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight llama GGUF that llama.cpp loads in milliseconds."""
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny.gguf")


@pytest.fixture(scope="session")
def endless_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny GGUF whose greedy output never ends early (it repeats '!')."""
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "endless.gguf", degenerate=True)


@pytest.fixture(scope="session")
def bundled_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real bundled default model, assembled once per test session."""
    return assemble_bundled(tmp_path_factory.mktemp("bundled"))


@pytest.fixture(autouse=True, scope="session")
def _free_models() -> object:
    yield None
    unload_all()
