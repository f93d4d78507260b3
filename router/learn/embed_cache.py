"""Sentence embeddings of many texts, cached on disk by text hash so re-training is fast."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import platformdirs

from router.policy.features import Embedder

Matrix = npt.NDArray[np.float32]


def default_cache_dir() -> Path:
    """Where embeddings are kept between runs (the user's cache folder)."""
    return Path(platformdirs.user_cache_dir("tandem")) / "learn-embeddings"


def text_key(text: str) -> str:
    """A stable key of one text (sha1 of its UTF-8 bytes)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeds texts with an `Embedder`, reusing vectors stored in one .npz per model."""

    def __init__(self, embedder: Embedder | None = None, cache_dir: Path | None = None) -> None:
        """`embedder` defaults to the shared MiniLM; `cache_dir` to `default_cache_dir()`."""
        self._embedder = embedder
        self._dir = cache_dir or default_cache_dir()
        self._file = self._dir / "minilm.npz"
        self._vectors: dict[str, Matrix] = {}
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self._file.exists():
            with np.load(self._file, allow_pickle=False) as data:
                keys = [str(k) for k in data["keys"]]
                vectors = data["vectors"].astype(np.float32)
            self._vectors = {k: vectors[i] for i, k in enumerate(keys)}

    def _save(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        vectors = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, 384))
        tmp = self._file.with_suffix(".tmp.npz")
        # float16 halves the file; cosine similarities move by < 1e-3.
        np.savez(tmp, keys=np.array(keys), vectors=vectors.astype(np.float16))
        tmp.replace(self._file)

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One unit row per text; only texts not cached yet go through the model."""
        self._load()
        keys = [text_key(t) for t in texts]
        pending = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if pending:
            # Similar lengths share a batch, so little time goes into padding.
            missing = sorted(pending, key=lambda key: len(pending[key]))
            todo = [pending[key] for key in missing]
            embedder = self._embedder
            if embedder is None:
                from router.memory.embedding import shared_embedder

                embedder = self._embedder = shared_embedder()
            fresh = embedder.embed(todo)
            for k, row in zip(missing, fresh, strict=True):
                self._vectors[k] = np.asarray(row, dtype=np.float32)
            self._save()
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)
