from pathlib import Path

import pytest

from router.endpoints.gguf_file import inspect_gguf
from router.errors import ModelFormatError, ModelNotFoundError


def test_reads_the_header_of_a_real_model(tiny_gguf: Path) -> None:
    summary = inspect_gguf(tiny_gguf)
    assert summary.architecture == "llama"
    assert summary.name == "tandem-tiny-test"
    assert summary.n_tensors == 21
    assert summary.context_length == 2048
    assert summary.has_chat_template


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as err:
        inspect_gguf(tmp_path / "nope.gguf")
    assert "nope.gguf" in err.value.message
    assert "tandem models list" in err.value.hint


def test_text_file_renamed_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("these are my notes, not a model\n" * 10)
    with pytest.raises(ModelFormatError, match="not a GGUF model"):
        inspect_gguf(fake)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(ModelFormatError, match="not a GGUF model"):
        inspect_gguf(tmp_path / "empty.gguf")


@pytest.mark.parametrize("keep", [8, 24, 200, 20_000, 0.5, 0.999])
def test_truncated_files_are_reported_as_damaged(
    tiny_gguf: Path, tmp_path: Path, keep: float
) -> None:
    data = tiny_gguf.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[:size])
    with pytest.raises(ModelFormatError, match="damaged") as err:
        inspect_gguf(cut)
    assert "again" in err.value.hint


def test_unsupported_version(tiny_gguf: Path, tmp_path: Path) -> None:
    data = bytearray(tiny_gguf.read_bytes())
    data[4:8] = (99).to_bytes(4, "little")
    (tmp_path / "v99.gguf").write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="version 99"):
        inspect_gguf(tmp_path / "v99.gguf")
