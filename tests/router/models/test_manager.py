import shutil
from pathlib import Path

import pytest

from router.errors import ModelDownloadError, ModelNotFoundError
from router.models.manager import ModelManager


def test_lists_bundled_downloaded_and_marks_the_active(tmp_path: Path, tiny_gguf: Path) -> None:
    shutil.copy(tiny_gguf, tmp_path / "tiny.gguf")
    manager = ModelManager(tmp_path, active_spec="tiny")
    entries = {e.name: e for e in manager.list_models()}
    assert set(entries) == {"bundled", "tiny"}
    assert entries["tiny"].active and not entries["bundled"].active
    assert entries["bundled"].ready  # installable from the model extra
    assert "first use" in entries["bundled"].note


def test_an_active_file_outside_the_folder_is_listed(tmp_path: Path, tiny_gguf: Path) -> None:
    entries = ModelManager(tmp_path / "models", active_spec=str(tiny_gguf)).list_models()
    [active] = [e for e in entries if e.active]
    assert (active.source, active.path, active.ready) == ("file", tiny_gguf, True)


def test_a_missing_active_file_is_flagged(tmp_path: Path) -> None:
    entries = ModelManager(tmp_path, active_spec=str(tmp_path / "gone.gguf")).list_models()
    [active] = [e for e in entries if e.active]
    assert not active.ready and active.note == "file not found"


def test_resolves_names_and_paths(tmp_path: Path, tiny_gguf: Path) -> None:
    shutil.copy(tiny_gguf, tmp_path / "mine.gguf")
    manager = ModelManager(tmp_path)
    assert manager.resolve("mine") == tmp_path / "mine.gguf"
    assert manager.resolve(str(tiny_gguf)) == tiny_gguf.resolve()


def test_unknown_spec_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as err:
        ModelManager(tmp_path).resolve("no-such-model")
    assert "tandem models list" in err.value.hint


def test_pull_fails_clearly_when_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelDownloadError) as err:
        ModelManager(tmp_path).pull(
            "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_0.gguf"
        )
    assert "could not download" in err.value.message
    assert "internet" in err.value.hint
    assert not list(tmp_path.glob("*.gguf"))


def test_pull_refuses_non_gguf_files(tmp_path: Path) -> None:
    with pytest.raises(ModelDownloadError, match=r"not a \.gguf"):
        ModelManager(tmp_path).pull("some/repo", "model.safetensors")


def test_pull_fails_fast_when_the_hub_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(ModelDownloadError) as err:
        ModelManager(tmp_path).pull("some/repo", "model.gguf")
    assert "cannot reach 127.0.0.1" in err.value.message
    assert "offline" in err.value.hint
