"""One local model, shared by every endpoint and caller in the app that uses it.

The weights live in a worker process (`llama_supervisor.LocalModelHost`), one
per (file, context size, threads), so the edge server, team mode and the chat
share one copy and one KV cache, and a native crash costs a turn, not the app.
The worker serves one generation at a time: concurrent turns queue for it, and
a turn that follows the previous one reuses its cached prompt prefix.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.endpoints import llama_protocol as proto
from router.endpoints.gguf_file import GGUFSummary, inspect_gguf
from router.endpoints.llama_checks import ExtraBuffers, default_store
from router.endpoints.llama_process import WorkerProcess
from router.endpoints.llama_supervisor import LocalModelHost


@dataclass
class LoadedModel:
    """A model served by a worker process: its host, header summary and prompt format."""

    host: LocalModelHost
    summary: GGUFSummary
    n_ctx: int
    n_vocab: int
    chat_template: str = ""
    bos_token: str = ""
    eos_token: str = ""
    formatter: Any = None  # the compiled chat template, built on first use

    def worker(self) -> WorkerProcess:
        """The running worker, restarted first if it died (blocking)."""
        return self.host.ensure()

    def tokenize(self, text: str, *, add_bos: bool, special: bool) -> list[int]:
        """Token ids of `text` in this model's vocabulary (blocking, fast)."""
        tokens: list[int] = self.worker().call(
            proto.TOKENIZE, text.encode("utf-8"), add_bos, special
        )
        return tokens

    def stats(self) -> dict[str, Any]:
        """The worker's `n_tokens` (tokens in its KV cache) and whether it is generating."""
        stats: dict[str, Any] = self.worker().call(proto.STATS)
        return stats

    def wait_idle(self, timeout_s: float = 30.0) -> dict[str, Any]:
        """Wait (blocking) until the worker runs no generation; returns its stats then."""
        deadline = time.monotonic() + timeout_s
        while True:
            stats = self.stats()
            if not stats["busy"] or time.monotonic() > deadline:
                return stats
            time.sleep(0.01)


_cache: dict[tuple[str, int, int], LoadedModel] = {}
_cache_lock = threading.Lock()


def _log_file() -> Path | None:
    """Where workers write llama.cpp's own output (the data folder's logs)."""
    from router.paths import resolve_paths

    try:
        folder = resolve_paths().data_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / "llama-worker.log"


def load_model(
    path: str | os.PathLike[str],
    n_ctx: int,
    n_threads: int = 0,
    *,
    extra_buffers: ExtraBuffers = "auto",
) -> LoadedModel:
    """Start (or return the already running) worker for the model at `path`; blocking.

    The file is checked first, so a missing, truncated or non-GGUF file gets a
    specific error instead of llama.cpp's generic one. The first load of a
    model on this llama.cpp build and CPU runs the self-test (see
    `llama_checks`).
    """
    resolved = Path(path).expanduser().resolve()
    key = (str(resolved), n_ctx, n_threads)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        summary = inspect_gguf(resolved)
        host = LocalModelHost(
            str(resolved),
            n_ctx,
            n_threads,
            extra_buffers=extra_buffers,
            store=default_store(),
            log_file=_log_file(),
        )
        try:
            info = host.ensure().info
        except BaseException:
            host.close()
            raise
        assert info is not None
        model = LoadedModel(
            host=host,
            summary=summary,
            n_ctx=info.n_ctx,
            n_vocab=info.n_vocab,
            chat_template=info.chat_template,
            bos_token=info.bos_token,
            eos_token=info.eos_token,
        )
        _cache[key] = model
        return model


def unload_model(path: str | os.PathLike[str], n_ctx: int, n_threads: int = 0) -> bool:
    """Stop the worker started with these arguments; False if none was running.

    The model switcher frees only the model it replaces: other models this
    process loaded (an edge server's, a benchmark's) stay loaded.
    """
    key = (str(Path(path).expanduser().resolve()), n_ctx, n_threads)
    with _cache_lock:
        model = _cache.pop(key, None)
    if model is not None:
        model.host.close()
    return model is not None


def unload_all() -> None:
    """Stop every worker (shutdown, tests and the model switcher use this)."""
    with _cache_lock:
        models = list(_cache.values())
        _cache.clear()
    for model in models:
        model.host.close()


# A clean exit stops the workers; a kill -9 of the app is covered by the worker itself.
atexit.register(unload_all)
