"""Which llama.cpp settings are safe on this CPU, and what the model self-test found.

Some llama.cpp builds crash on some CPUs: on a CPU with AMX (Sapphire Rapids
Xeons), a build that repacks weights into the AMX "extra" buffer type dies with
SIGSEGV at the first decode (ggml-org/llama.cpp#20824), while the same build
with `use_extra_bufts = False` answers. So the first time a model is loaded
with a given llama.cpp build on a given CPU, the worker runs a short greedy
self-test; if the worker dies or the logits are garbage, the next, safer
profile of `SAFETY_LADDER` is tried. What worked is kept in
`<data_dir>/local_model_checks.json`, keyed by (model file, llama.cpp build,
CPU flags), so later loads go straight to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ExtraBuffers = Literal["auto", "on", "off"]
"""`[local] cpu_extra_buffers`: `auto` self-tests and falls back; `on`/`off` force it."""

CHECKS_FILE = "local_model_checks.json"

# CPU flags that decide which llama.cpp kernels (and extra buffer types) run.
_RELEVANT_FLAGS = ("avx", "avx2", "avx512", "amx", "f16c", "fma", "sse4", "neon", "sve", "asimd")


class LoadProfile(BaseModel):
    """llama.cpp model and context parameters that trade speed for robustness."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Short name shown to the user.")
    extra_buffers: bool = Field(description="llama_model_params.use_extra_bufts (AMX/repack).")
    use_mmap: bool = Field(default=True, description="Map the file instead of reading it.")
    single_thread: bool = Field(default=False, description="Decode on one thread only.")

    def describe(self) -> str:
        """The settings in words, for messages and `tandem doctor`."""
        parts = [f"extra CPU buffers {'on' if self.extra_buffers else 'off'}"]
        if not self.use_mmap:
            parts.append("no mmap")
        if self.single_thread:
            parts.append("one thread")
        return ", ".join(parts)


SAFETY_LADDER: tuple[LoadProfile, ...] = (
    LoadProfile(name="default", extra_buffers=True),
    LoadProfile(name="no-extra-buffers", extra_buffers=False),
    LoadProfile(name="minimal", extra_buffers=False, use_mmap=False, single_thread=True),
)
"""Profiles tried in order by the `auto` self-test; each is safer and slower than the last."""


def ladder_for(setting: ExtraBuffers) -> tuple[LoadProfile, ...]:
    """The profiles to try for a `[local] cpu_extra_buffers` setting, safest last."""
    if setting == "on":
        return (SAFETY_LADDER[0],)
    if setting == "off":
        return SAFETY_LADDER[1:]
    return SAFETY_LADDER


class CheckRecord(BaseModel):
    """The outcome of the self-test for one (model, llama.cpp build, CPU)."""

    key: str = Field(description="Hash of model file identity, build and CPU flags.")
    model: str = Field(description="The model file's path.")
    build: str = Field(description="llama-cpp-python version and llama.cpp system info.")
    cpu: str = Field(description="The CPU's model name and the flags that matter.")
    profile: str = Field(description="The `LoadProfile.name` that passed, or '' if none did.")
    settings: str = Field(description="That profile in words.")
    failures: list[str] = Field(default_factory=list, description="What failed before it.")
    detail: str = Field(default="", description="What the passing self-test decoded.")
    checked_at: str = Field(description="When the test ran (UTC, ISO 8601).")

    @property
    def passed(self) -> bool:
        """Whether some profile passed."""
        return bool(self.profile)


def cpu_summary() -> str:
    """The CPU's model name and the flags that matter to llama.cpp (best effort off Linux)."""
    name, flags = platform.processor() or platform.machine(), ""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return name
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and value.strip():
            name = value.strip()
        elif key in ("flags", "Features") and not flags:
            wanted = sorted(f for f in value.split() if f.startswith(_RELEVANT_FLAGS))
            flags = " ".join(wanted)
    return f"{name} [{flags}]" if flags else name


def check_key(model_path: str | os.PathLike[str], build: str, cpu: str) -> str:
    """The record key: the model file's identity (path, size, mtime), the build, the CPU."""
    path = Path(model_path).expanduser().resolve()
    try:
        stat = path.stat()
        identity = f"{path}|{stat.st_size}|{int(stat.st_mtime)}"
    except OSError:
        identity = str(path)
    return hashlib.sha256(f"{identity}\n{build}\n{cpu}".encode()).hexdigest()[:32]


def now_iso() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class CheckStore:
    """The self-test records in one JSON file; a corrupt file is set aside, never fatal."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Records live in `path` (created on first write)."""
        self.path = Path(path)
        self._lock = threading.Lock()

    def records(self) -> list[CheckRecord]:
        """Every stored record, newest first."""
        with self._lock:
            return sorted(self._read().values(), key=lambda r: r.checked_at, reverse=True)

    def get(self, key: str) -> CheckRecord | None:
        """The record for `key`, if the self-test already ran for it."""
        with self._lock:
            return self._read().get(key)

    def put(self, record: CheckRecord) -> None:
        """Store `record`, replacing any for the same key (atomic write)."""
        with self._lock:
            stored = self._read()
            stored[record.key] = record
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            payload = {k: r.model_dump() for k, r in stored.items()}
            tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8")
            os.replace(tmp, self.path)

    def _read(self) -> dict[str, CheckRecord]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {k: CheckRecord.model_validate(v) for k, v in raw.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, AttributeError, ValidationError):
            # A damaged file costs one self-test, not the app: keep it for inspection.
            os.replace(self.path, self.path.with_suffix(".corrupt"))
            return {}


def default_store() -> CheckStore:
    """The store in Tandem's data folder (TANDEM_HOME respected)."""
    from router.paths import resolve_paths

    return CheckStore(resolve_paths().data_dir / CHECKS_FILE)


def llama_build_info() -> str:
    """llama-cpp-python's version and llama.cpp's system info (the kernels this build uses).

    Importing llama_cpp loads the native library but creates no model, which is
    safe even where decoding crashes.
    """
    try:
        import llama_cpp
    except ImportError:
        return "llama-cpp-python not installed"
    info = llama_cpp.llama_print_system_info()
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    return f"llama-cpp-python {llama_cpp.__version__}: {text.strip()}"
