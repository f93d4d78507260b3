"""The `learned` policy's quality model: P(an endpoint answers this turn right), from an artifact.

Format `tandem.linear-router`, JSON. A logistic model per endpoint (or per
endpoint kind) over the turn's named features (`feature_vector`):

    {"format": "tandem.linear-router", "version": 2, "trained": true,
     "models": {"kind:local": {"bias": -1.2, "weights": {"difficulty": -0.4, ...},
                               "embedding_bias": 0.3, "embedding_weights": [384 numbers]},
                "kind:cloud": {...}, "<endpoint name>": {...}}, ...}

    quality = sigmoid(bias + weights . features [+ embedding_bias + embedding_weights . e])

The bracketed part is version 2's and counts only when the turn has its
MiniLM embedding `e` (of the first `EMBED_CHARS` characters, as
`compute_features` embeds it). `tandem router fit-quality` sets
`embedding_bias` to minus the embedding part's mean on the training prompts,
so without an embedding the model is the one at an average prompt. Version 1
files (no embedding part) still load. A model under an endpoint's own name
wins over its `kind:` model. Extra keys (how it was made, held-out figures)
are kept in the file and ignored here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.policy.artifact_file import read_artifact
from router.policy.classify import TASKS
from router.policy.features import MODALITIES, EndpointState, TurnFeatures
from router.policy.trained_router import EMBEDDING_DIM, Router, load_router

LINEAR_FORMAT = "tandem.linear-router"
LINEAR_VERSIONS = (1, 2)
DEFAULT_LEARNED = Path(__file__).resolve().parents[2] / "assets" / "routing_learned.json"


def feature_vector(features: TurnFeatures) -> dict[str, float]:
    """The named numeric features a linear router reads."""
    vector = {
        "difficulty": features.difficulty,
        "log_tokens": math.log1p(features.tokens) / 8.0,
        "log_history_tokens": math.log1p(features.history_tokens) / 10.0,
        "followup": float(features.followup),
        "english": float(features.language == "en"),
        "n_attachments": float(min(len(features.attachments), 5)),
    }
    for task in TASKS:
        vector[f"task:{task}"] = float(features.task == task)
    present = features.modalities
    for modality in MODALITIES:
        vector[f"modality:{modality}"] = float(modality in present)
    return vector


@dataclass(frozen=True)
class LinearModel:
    """Logistic quality model over named features, with an optional embedding part."""

    bias: float
    weights: Mapping[str, float]
    embedding_weights: npt.NDArray[np.float64] | None = None
    embedding_bias: float = 0.0

    def predict(self, vector: Mapping[str, float], embedding: npt.ArrayLike | None = None) -> float:
        """Quality in [0, 1]; the embedding part counts only when `embedding` is given."""
        z = self.bias + sum(w * vector.get(k, 0.0) for k, w in self.weights.items())
        if self.embedding_weights is not None and embedding is not None:
            e = np.asarray(embedding, dtype=np.float64)
            z += self.embedding_bias + float(e @ self.embedding_weights)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@dataclass(frozen=True)
class QualityModel:
    """Per-endpoint (or per-kind) quality models from one artifact.

    `gap_router` (`[routing] learned_router`, a `tandem router train` artifact)
    serves off-device endpoints whose model has no embedding part (hand-set
    version 1 files): with the turn's embedding, their quality is the device's
    plus the router's predicted gap between a strong and a weak model. A
    fitted model with an embedding part supersedes it.
    """

    models: Mapping[str, LinearModel]
    trained: bool = False
    source: str = ""
    gap_router: Router | None = None

    def model_for(self, state: EndpointState) -> LinearModel | None:
        """The endpoint's own model, else its kind's, else None."""
        return self.models.get(state.name) or self.models.get(f"kind:{state.kind}")

    @property
    def uses_embedding(self) -> bool:
        """Whether any model reads the turn's embedding."""
        return any(m.embedding_weights is not None for m in self.models.values())

    def predict(self, state: EndpointState, features: TurnFeatures) -> float:
        """Expected quality of `state` answering this turn (0.5 when no model covers it)."""
        model = self.model_for(state)
        vector = feature_vector(features)
        quality = model.predict(vector, features.embedding) if model else 0.5
        fitted = model is not None and model.embedding_weights is not None
        if self.gap_router is None or features.embedding is None or not state.remote or fitted:
            return quality
        local = self.models.get("kind:local")
        device = local.predict(vector, features.embedding) if local else 0.5
        # score ~ (1 + E[q_strong - q_weak]) / 2, so the expected gap is 2 * score - 1.
        score = float(self.gap_router.score(features.embedding[None, :], [features.question])[0])
        return min(1.0, max(0.0, device + 2.0 * score - 1.0))


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def parse_model(key: str, spec: object) -> LinearModel:
    """One model of an artifact's `models`; `ValueError` says what is wrong."""
    if not isinstance(spec, dict):
        raise ValueError(f"model {key!r} must be an object")
    weights = spec.get("weights", {})
    if not isinstance(weights, dict):
        raise ValueError(f"{key}.weights must be an object")
    raw = spec.get("embedding_weights")
    embedding = None
    if raw is not None:
        if not isinstance(raw, list) or len(raw) != EMBEDDING_DIM:
            raise ValueError(f"{key}.embedding_weights must be a list of {EMBEDDING_DIM} numbers")
        embedding = np.array([_finite(v, f"{key}.embedding_weights") for v in raw])
    return LinearModel(
        bias=_finite(spec.get("bias"), f"{key}.bias"),
        weights={str(k): _finite(v, f"{key}.weights.{k}") for k, v in weights.items()},
        embedding_weights=embedding,
        embedding_bias=_finite(spec.get("embedding_bias", 0.0), f"{key}.embedding_bias"),
    )


def parse_models(data: Mapping[str, Any]) -> dict[str, LinearModel]:
    """Every model of a decoded artifact; `ValueError` names the first bad one."""
    models = data.get("models")
    if not isinstance(models, dict):
        raise ValueError("'models' must be an object")
    if data.get("version") == 1 and any(
        isinstance(s, dict) and "embedding_weights" in s for s in models.values()
    ):
        raise ValueError("embedding weights need version 2")
    return {str(key): parse_model(str(key), spec) for key, spec in models.items()}


def load_quality_model(
    path: str | Path | None = None, gap_router: str | None = None
) -> QualityModel:
    """Read a `tandem.linear-router` artifact; a clear `TandemError` if it is bad.

    `gap_router`: a `tandem router train` artifact, `bundled` for the shipped one,
    or None for the linear models alone.
    """
    file, data, hint = read_artifact(
        path,
        DEFAULT_LEARNED,
        label="routing artifact",
        setting="learned_artifact",
        fmt=LINEAR_FORMAT,
        versions=LINEAR_VERSIONS,
    )
    try:
        models = parse_models(data)
    except ValueError as exc:
        raise TandemError(f"routing artifact {file} is malformed ({exc})", hint) from exc
    router = None
    if gap_router:
        router = load_router(None if gap_router == "bundled" else gap_router)
    return QualityModel(
        models, trained=bool(data.get("trained", False)), source=str(file), gap_router=router
    )
