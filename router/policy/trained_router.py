"""Trained single-turn routers as small versioned files, loaded and applied with numpy only.

Format `tandem.learn.router`, version 1: one `.npz` (read with
`allow_pickle=False`) holding a `meta` entry, a JSON object as UTF-8 bytes::

    {"format": "tandem.learn.router", "version": 1, "kind": "mlp",
     "strong": "gpt-4", "weak": "mixtral", "threshold": 0.53,
     "target_strong_share": 0.5,
     "feature_spec": {"embedding": "all-MiniLM-L6-v2-onnx-int8", "embedding_dim": 384,
                      "cheap": ["log_chars", ...], "cheap_version": 1},
     "note": "trained on ...", "n_train": 15344, "train_seconds": 2.2}

and the arrays of its kind (`x` = [embedding, standardised cheap features]):

- `logistic`: `w` (d,), `b` ();   score = sigmoid(x.w + b)
- `mlp`: `W1` (d, h), `b1` (h,), `w2` (h,), `b2` ();  score = sigmoid(relu(x W1 + b1).w2 + b2)
- `mf`: `P` (d, r), `V` (m, r), `u` (r,), `c` (m,), meta `models` (m names);
  each model's strength s(m, x) = (V[m] * (x P)).u + c[m];
  score = sigmoid(s(strong, x) - s(weak, x))   (RouteLLM's matrix factorisation)
- `knn`: `P` (d, r), `memory` (n, r) unit rows, `gap` (n,), meta `k`;
  score = (1 + mean gap of the k most similar prompts) / 2

plus `cheap_mean`, `cheap_std` for the cheap features. Every score estimates
(1 + E[quality(strong) - quality(weak)]) / 2: above 0.5 the strong model is
expected to do better. Meta `target` says what it was trained on (absent in
older artifacts, which are `gap`): `gap`, the recorded quality gap, or
`weak_failure`, the weak model's failures scaled by meta `gap_scale` (the gap
per unit of weak failure), whose scores never fall below 0.5 (see
`router.learn.train`). The router sends a prompt to the strong endpoint when
its score is >= `threshold`, calibrated at training time to a target share of
strong calls (or a target mean cost).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.policy.cheap_features import CHEAP_FEATURES, CHEAP_VERSION, cheap_matrix

ROUTER_FORMAT = "tandem.learn.router"
ROUTER_VERSION = 1
EMBEDDING_MODEL = "all-MiniLM-L6-v2-onnx-int8"
EMBEDDING_DIM = 384
KINDS = ("logistic", "mlp", "mf", "knn")
DEFAULT_ROUTER = Path(__file__).resolve().parents[2] / "assets" / "router_default.npz"

Array = npt.NDArray[np.float64]


def feature_spec() -> dict[str, Any]:
    """The inputs this version of the code builds: MiniLM embedding plus cheap features."""
    return {
        "embedding": EMBEDDING_MODEL,
        "embedding_dim": EMBEDDING_DIM,
        "cheap": list(CHEAP_FEATURES),
        "cheap_version": CHEAP_VERSION,
    }


def sigmoid(z: Array) -> Array:
    """The logistic function, clipped far from overflow (shared by the fitting code)."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0))), dtype=np.float64)


@dataclass
class Router:
    """A loaded router: `score` prompts, `route` them against the calibrated threshold."""

    kind: str
    meta: dict[str, Any]
    arrays: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict)

    @property
    def strong(self) -> str:
        """The endpoint chosen when the score reaches the threshold."""
        return str(self.meta["strong"])

    @property
    def weak(self) -> str:
        """The endpoint chosen otherwise."""
        return str(self.meta["weak"])

    @property
    def threshold(self) -> float:
        """Calibrated decision threshold on the score."""
        return float(self.meta["threshold"])

    def inputs(self, embeddings: npt.ArrayLike, prompts: Sequence[str]) -> Array:
        """[embedding, standardised cheap features] per prompt, as the model was trained."""
        emb = np.atleast_2d(np.asarray(embeddings, dtype=np.float64))
        if emb.shape[1] != EMBEDDING_DIM or emb.shape[0] != len(prompts):
            raise ValueError(f"expected {len(prompts)} embeddings of {EMBEDDING_DIM} dimensions")
        cheap = (cheap_matrix(prompts) - self.arrays["cheap_mean"]) / self.arrays["cheap_std"]
        return np.concatenate([emb, cheap], axis=1)

    def score_inputs(self, x: Array) -> Array:
        """Scores of prepared inputs (see `inputs`)."""
        a = self.arrays
        if self.kind == "logistic":
            return sigmoid(x @ a["w"] + a["b"])
        if self.kind == "mlp":
            hidden = np.maximum(x @ a["W1"] + a["b1"], 0.0)
            return sigmoid(hidden @ a["w2"] + a["b2"])
        if self.kind == "mf":
            models = list(self.meta["models"])
            i, j = models.index(self.strong), models.index(self.weak)
            z = (x @ a["P"]) * a["u"]
            return sigmoid(z @ (a["V"][i] - a["V"][j]) + a["c"][i] - a["c"][j])
        if self.kind == "knn":
            return self._knn_scores(x)
        raise ValueError(f"unknown router kind {self.kind!r}")

    def _knn_scores(self, x: Array) -> Array:
        """kNN scores in float32 (ranks match float64 to ~1e-3 in similarity, far below ties).

        The memory is converted once to a C-contiguous float32 matrix (float16
        on disk keeps files small; float16 arithmetic would be slow), so one
        decision is a (n, r) x (r,) product and an `argpartition`, no sort.
        """
        memory, proj, gap = self._knn_arrays()
        q = np.asarray(x, dtype=np.float32) @ proj
        q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), np.float32(1e-12))
        sims = q @ memory.T
        k = min(int(self.meta["k"]), sims.shape[1])
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        return np.asarray((1.0 + gap[nearest].mean(axis=1)) / 2.0, dtype=np.float64)

    def _knn_arrays(
        self,
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float64]]:
        """Memory, projection (float32) and gaps (float64), prepared once per router."""
        cached = self.arrays.get("_memory32")
        if cached is None:
            self.arrays = {
                **self.arrays,
                "_memory32": np.ascontiguousarray(self.arrays["memory"], dtype=np.float32),
                "_proj32": np.ascontiguousarray(self.arrays["P"], dtype=np.float32),
                "_gap64": np.asarray(self.arrays["gap"], dtype=np.float64),
            }
        a = self.arrays
        return a["_memory32"], a["_proj32"], a["_gap64"]

    def score(self, embeddings: npt.ArrayLike, prompts: Sequence[str]) -> Array:
        """One score per prompt; higher means the strong endpoint is more worth its price."""
        return self.score_inputs(self.inputs(embeddings, prompts))

    def route(self, embedding: npt.ArrayLike, prompt: str) -> str:
        """The endpoint name for one prompt: strong when its score reaches the threshold."""
        value = float(self.score(np.atleast_2d(np.asarray(embedding)), [prompt])[0])
        return self.strong if value >= self.threshold else self.weak


def save_router(router: Router, path: str | Path) -> Path:
    """Write `router` as a `tandem.learn.router` .npz (the suffix is added if missing)."""
    file = Path(path)
    if file.suffix != ".npz":
        file = file.with_name(file.name + ".npz")
    file.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(router.meta, format=ROUTER_FORMAT, version=ROUTER_VERSION, kind=router.kind)
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    arrays: dict[str, Any] = {
        k: np.asarray(v) for k, v in router.arrays.items() if not k.startswith("_")
    }
    arrays["meta"] = blob
    with file.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    return file


_REQUIRED = {
    "logistic": ("w", "b"),
    "mlp": ("W1", "b1", "w2", "b2"),
    "mf": ("P", "V", "u", "c"),
    "knn": ("P", "memory", "gap"),
}


def load_router(path: str | Path | None = None) -> Router:
    """Read a router artifact (default: the shipped one); a clear `TandemError` if it is bad."""
    file = Path(path).expanduser() if path else DEFAULT_ROUTER
    hint = "train one with `tandem router train`, or use the shipped default"
    try:
        with np.load(file, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            arrays = {k: data[k] for k in data.files if k != "meta"}
    except FileNotFoundError as exc:
        raise TandemError(f"router artifact {file} does not exist", hint) from exc
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise TandemError(f"router artifact {file} is not readable ({exc})", hint) from exc
    if meta.get("format") != ROUTER_FORMAT or meta.get("version") != ROUTER_VERSION:
        raise TandemError(
            f"router artifact {file} is not {ROUTER_FORMAT} version {ROUTER_VERSION}", hint
        )
    kind = str(meta.get("kind"))
    if kind not in _REQUIRED:
        raise TandemError(f"router artifact {file} has unknown kind {kind!r}", hint)
    missing = [k for k in (*_REQUIRED[kind], "cheap_mean", "cheap_std") if k not in arrays]
    spec = meta.get("feature_spec", {})
    if missing or spec.get("cheap") != list(CHEAP_FEATURES) or "threshold" not in meta:
        raise TandemError(f"router artifact {file} is incomplete or of another feature spec", hint)
    return Router(kind=kind, meta=meta, arrays=arrays)
