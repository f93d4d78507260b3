"""Synthetic profiles and a bag-of-words embedder for fitting the quality model fast."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from router.learn.profile import Outcome, ProfileRecord, write_profile

SIGNAL_WORD = "zebra"
"""The device is right on exactly the prompts holding this word."""
_TOPICS = ("history", "physics", "law", "music", "biology", "poetry", "trade", "rivers")
_FILLER = ("which", "of", "the", "following", "best", "describes", "a", "an", "answer", "why")


class WordEmbedder:
    """Hashed bag of words, L2-normalised, 384 dimensions: a word is recoverable from it."""

    def embed(self, texts: list[str], batch_size: int = 32) -> npt.NDArray[np.float32]:
        """One unit row per text."""
        rows = np.zeros((len(texts), 384), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                digest = hashlib.sha1(word.encode()).digest()
                rows[i, int.from_bytes(digest[:4], "big") % 384] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.maximum(norms, 1e-12)


def synthetic_quality_profile(
    path: Path, n: int = 240, seed: int = 3, noise_local: bool = False
) -> Path:
    """Device (`local`) right exactly on prompts with SIGNAL_WORD (or at random, with
    `noise_local`); `mixtral` right 60% and `gpt-4` right 85% of the time, at random."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        words = [rng.choice(_FILLER) for _ in range(6)] + [rng.choice(_TOPICS)]
        has_word = i % 3 == 0
        if has_word:  # in place of a word, so that the length says nothing
            words[rng.randrange(len(words))] = SIGNAL_WORD
        right = rng.random() < 0.35 if noise_local else has_word
        records.append(
            ProfileRecord(
                id=f"mmlu-synthetic-{i}",
                prompt=" ".join(words) + "?\nA. one\nB. two\nAnswer:",
                endpoints={
                    "local": Outcome(quality=float(right)),
                    "mixtral": Outcome(quality=float(rng.random() < 0.6), cost_usd=0.0002),
                    "gpt-4": Outcome(quality=float(rng.random() < 0.85), cost_usd=0.002),
                },
                meta={"benchmark": "mmlu"},
            )
        )
    write_profile(records, path)
    return path
