"""One loaded llama.cpp model, shared by every endpoint and caller that uses it.

A `llama_cpp.Llama` holds one KV cache and is not thread-safe, so each model
carries a lock: concurrent turns queue for it instead of corrupting each other,
and a turn that follows the previous one reuses its cached prompt prefix.

Generations run on one long-lived worker thread per model. llama.cpp's OpenMP
thread team belongs to the thread that calls it, so a fresh thread per turn
would build a new team each time while the previous one still spins, which
on a small machine costs tens of milliseconds before the first token.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from router.endpoints.gguf_file import GGUFSummary, inspect_gguf
from router.errors import ModelLoadError


@dataclass
class LoadedModel:
    """A llama.cpp model in memory, its header summary, and the lock guarding it."""

    llama: Any  # llama_cpp.Llama; typed loosely because llama_cpp ships no type stubs
    summary: GGUFSummary
    n_ctx: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
    )
    chat_template: str = ""
    bos_token: str = ""
    eos_token: str = ""
    formatter: Any = None  # the compiled chat template, built on first use


_cache: dict[tuple[str, int, int], LoadedModel] = {}
_cache_lock = threading.Lock()


def load_model(path: str | os.PathLike[str], n_ctx: int, n_threads: int = 0) -> LoadedModel:
    """Load (or return the already loaded) model at `path`; blocking, call off the loop.

    The file is checked first, so a missing, truncated or non-GGUF file gets a
    specific error instead of llama.cpp's generic one.
    """
    resolved = Path(path).expanduser().resolve()
    key = (str(resolved), n_ctx, n_threads)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        summary = inspect_gguf(resolved)
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ModelLoadError(
                "llama-cpp-python is not installed", "pip install llama-cpp-python"
            ) from exc
        kwargs: dict[str, Any] = {"n_ctx": n_ctx, "verbose": False}
        if n_threads:
            kwargs["n_threads"] = n_threads
        try:
            llama = llama_cpp.Llama(model_path=str(resolved), **kwargs)
        except (ValueError, RuntimeError) as exc:
            raise ModelLoadError(
                f"llama.cpp could not load {resolved} ({exc})",
                "the file may be for an architecture this llama.cpp does not support, or "
                "too large for memory; try another GGUF",
            ) from exc
        template, bos, eos = _chat_tokens(llama)
        model = LoadedModel(
            llama=llama,
            summary=summary,
            n_ctx=n_ctx,
            chat_template=template,
            bos_token=bos,
            eos_token=eos,
        )
        _cache[key] = model
        return model


def _chat_tokens(llama: Any) -> tuple[str, str, str]:
    """Return the GGUF's chat template and its BOS and EOS token texts."""
    metadata: dict[str, str] = llama.metadata
    eos_id, bos_id = llama.token_eos(), llama.token_bos()
    # llama_cpp exposes token text only on its internal model object.
    text = llama._model.token_get_text
    return (
        metadata.get("tokenizer.chat_template", ""),
        text(bos_id) if bos_id != -1 else "",
        text(eos_id) if eos_id != -1 else "",
    )


def _close(model: LoadedModel) -> None:
    model.worker.shutdown(wait=True)
    with model.lock:
        model.llama.close()


def unload_model(path: str | os.PathLike[str], n_ctx: int, n_threads: int = 0) -> bool:
    """Drop the cached model loaded with these arguments; False if none was loaded.

    The model switcher frees only the model it replaces: other models this
    process loaded (an edge server's, a benchmark's) stay loaded.
    """
    key = (str(Path(path).expanduser().resolve()), n_ctx, n_threads)
    with _cache_lock:
        model = _cache.pop(key, None)
        if model is not None:
            _close(model)
    return model is not None


def unload_all() -> None:
    """Drop every cached model (tests and the model switcher use this)."""
    with _cache_lock:
        for model in _cache.values():
            _close(model)
        _cache.clear()
