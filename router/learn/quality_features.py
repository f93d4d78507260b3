"""A profile's prompts as the chat's quality model sees them: cheap features and the embedding.

Each prompt goes through the chat's own `compute_features` (a new turn with
no history, attachments or privacy findings), so the cheap features
(`feature_vector`: difficulty, length, task, language, ...) and the MiniLM
embedding of the first `EMBED_CHARS` characters are computed exactly as in a
chat turn. Embeddings come from an `EmbeddingCache`, so a refit is fast; they
are rounded to float16 as the cache keeps them (cosines move by < 1e-3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from router.learn.embed_cache import EmbeddingCache
from router.policy.classify import EMBED_CHARS
from router.policy.features import Embedder, compute_features
from router.policy.quality_model import feature_vector
from router.types import PrivacyReport, TurnRequest

Array = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]
"""Called with (prompts embedded so far, total) while embedding."""
EMBED_CHUNK = 64


@dataclass(frozen=True)
class PromptFeatures:
    """Per prompt: the named cheap features (columns `names`) and the embedding."""

    names: tuple[str, ...]
    cheap: Array
    embeddings: Array


class _Precomputed:
    """An `Embedder` that answers from vectors already computed, else from the real embedder.

    The difficulty prototypes are embedded by the real embedder, fresh, as in
    the chat (the chat caches them per embedder object, so one lookup object is
    kept per real embedder: see `_lookup_for`).
    """

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.vectors: dict[str, npt.NDArray[np.float32]] = {}

    def embed(self, texts: list[str], batch_size: int = 32) -> npt.NDArray[np.float32]:
        """One unit row per text."""
        if all(t in self.vectors for t in texts):
            return np.stack([self.vectors[t] for t in texts])
        return np.asarray(self.embedder.embed(texts), dtype=np.float32)


_lookups: dict[int, tuple[Embedder, _Precomputed]] = {}


def _lookup_for(embedder: Embedder) -> _Precomputed:
    """The one lookup object of `embedder` (held with it, so its id is never reused)."""
    key = id(embedder)
    if key not in _lookups:
        _lookups[key] = (embedder, _Precomputed(embedder))
    return _lookups[key][1]


def embed_prompts(
    prompts: Sequence[str], cache: EmbeddingCache, progress: Progress | None = None
) -> npt.NDArray[np.float32]:
    """The embedding of each prompt's first `EMBED_CHARS` characters, in chunks with progress."""
    texts = [p[:EMBED_CHARS] for p in prompts]
    rows = []
    for start in range(0, len(texts), EMBED_CHUNK):
        rows.append(cache.embed(texts[start : start + EMBED_CHUNK]))
        if progress is not None:
            progress(min(start + EMBED_CHUNK, len(texts)), len(texts))
    if not rows:
        return np.zeros((0, 384), dtype=np.float32)
    # Rounded as the cache stores them: a first fit and a refit from the cache agree exactly.
    return np.concatenate(rows).astype(np.float16).astype(np.float32)


def prompt_features(
    prompts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress: Progress | None = None,
) -> PromptFeatures:
    """Cheap features and embeddings of `prompts`, as a chat turn computes them.

    `cache` must embed with `embedder` (it is only faster).
    """
    vectors = embed_prompts(prompts, cache, progress)
    lookup = _lookup_for(embedder)
    lookup.vectors = {p[:EMBED_CHARS]: v for p, v in zip(prompts, vectors, strict=True)}
    rows = []
    for prompt in prompts:
        turn = compute_features(
            TurnRequest(text=prompt, session_id="profile"), PrivacyReport(), (), {}, embedder=lookup
        )
        rows.append(feature_vector(turn))
    names = tuple(rows[0]) if rows else ()
    cheap = np.array([[row[n] for n in names] for row in rows], dtype=np.float64)
    return PromptFeatures(names, cheap.reshape(len(rows), len(names)), vectors.astype(np.float64))
