"""Fitting the `learned` policy's quality model on a profile (`tandem router fit-quality`).

Data: a profile (`tandem router profile-device`, router/learn/profile.py),
plain or gzipped. For each endpoint of `PROFILE_ENDPOINTS` it holds whether
that endpoint answered the prompt right: `local` is the device's own model,
`mixtral` and `gpt-4` are RouteLLM's recorded correctness, the stand-ins for
the edge and the cloud. `ENDPOINT_MAP` says which chat endpoint kind each
fitted model serves.

- Features: the chat's own (router/learn/quality_features.py): the named
  cheap features of `feature_vector` and the MiniLM embedding of the prompt's
  first 128 characters.
- Split: the cascade's (`fit_cascade.SPLIT_RULE`, about 30% held out), so
  the two artifacts fitted with one seed hold out the same questions.
- Model, per endpoint: logistic regression with an L2 penalty on the
  standardised features (router/learn/logistic.py); the penalty is the one
  of `L2_GRID` with the lowest log loss in 5-fold cross-validation on the
  training split alone (fold = SHA-256(f"{seed}:cv:{id}") mod 5).
- Held-out figures, per endpoint: AUROC and Brier score of the predictions,
  and the Brier score of predicting the training split's share right for
  every question (`brier_constant`), to compare against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.errors import TandemError
from router.learn.embed_cache import EmbeddingCache
from router.learn.fit_cascade import HELD_OUT_PERCENT, SPLIT_RULE, auroc, is_held_out
from router.learn.logistic import Array, brier, choose_l2, fit_logistic, log_loss
from router.learn.profile_file import load_settled
from router.learn.quality_features import Progress, PromptFeatures, prompt_features
from router.memory.embedding import shared_embedder
from router.policy.classify import EMBED_CHARS
from router.policy.features import Embedder
from router.policy.quality_model import LINEAR_FORMAT, parse_model
from router.policy.trained_router import EMBEDDING_MODEL

PROFILE_ENDPOINTS = ("local", "mixtral", "gpt-4")
ENDPOINT_MAP = {
    "kind:local": "local",
    "kind:fake": "local",
    "kind:edge": "mixtral",
    "kind:cloud": "gpt-4",
}
"""Chat model key -> the profile endpoint it is fitted on."""
CV_FOLDS = 5


class QualityFitError(TandemError):
    """A profile the quality model cannot be fitted on."""


@dataclass(frozen=True)
class QualityFitRequest:
    """What to fit on: the profile, the split seed, and the command recorded in the artifact.

    `embedder` and `cache_dir` replace the shared MiniLM and its cache (tests
    pass a fake embedder with a cache folder of its own).
    """

    profile: Path
    seed: int = 0
    command: str = ""
    cache_dir: Path | None = None
    embedder: Embedder | None = None


def cv_fold(record_id: str, seed: int) -> int:
    """The cross-validation fold of a training record, fixed by id and seed."""
    digest = hashlib.sha256(f"{seed}:cv:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % CV_FOLDS


def _model_json(
    names: Sequence[str], bias: float, weights: Array, n_cheap: int, mean_e: Array
) -> dict[str, Any]:
    """The artifact's model object; the embedding part is centred on the training prompts."""
    cheap, embedding = weights[:n_cheap], weights[n_cheap:]
    return {
        "bias": _r6(bias + float(embedding @ mean_e)),
        "weights": {n: _r6(w) for n, w in zip(names, cheap, strict=True) if _r6(w) != 0},
        "embedding_bias": _r6(-float(embedding @ mean_e)),
        "embedding_weights": [_r6(w) for w in embedding],
    }


def fit_endpoint(
    data: PromptFeatures,
    labels: Array,
    train: npt.NDArray[np.bool_],
    folds: npt.NDArray[np.int64],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(model JSON, held-out figures, cross-validation record) for one endpoint.

    `train` marks the training rows, `folds` their cross-validation folds.
    """
    x = np.column_stack([data.cheap, data.embeddings])
    choice = choose_l2(x[train], labels[train], folds[train])
    bias, weights = fit_logistic(x[train], labels[train], choice.l2)
    mean_e = data.embeddings[train].mean(axis=0)
    spec = _model_json(data.names, bias, weights, len(data.names), mean_e)
    model = parse_model("fitted", spec)
    held = ~train
    predicted = np.array(
        [
            model.predict(dict(zip(data.names, row, strict=True)), emb)
            for row, emb in zip(data.cheap[held], data.embeddings[held], strict=True)
        ]
    )
    y, share = labels[held], float(labels[train].mean())
    figures = {
        "n": int(held.sum()),
        "right": int(y.sum()),
        "auroc": _rounded(auroc(predicted, y)),
        "brier": round(brier(predicted, y), 4),
        "brier_constant": round(brier(np.full(len(y), share), y), 4),
        "log_loss": round(log_loss(predicted, y), 4),
        "train_share_right": round(share, 4),
    }
    cv = {"l2": choice.l2, "grid": list(choice.grid), "log_loss": _round_all(choice.losses)}
    return spec, figures, cv


def _r6(value: float) -> float:
    """Six decimals, and no negative zero in the file."""
    return round(float(value), 6) + 0.0


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _round_all(values: Sequence[float]) -> list[float]:
    return [round(v, 5) for v in values]


def _labels(records: Sequence[Any], endpoint: str) -> Array:
    missing = [r.id for r in records if endpoint not in r.endpoints]
    if missing:
        raise QualityFitError(
            f"{len(missing)} profile records have no '{endpoint}' outcome (first: {missing[0]})",
            "fit on a profile from `tandem router profile-device`, which records "
            f"{', '.join(PROFILE_ENDPOINTS)}",
        )
    return np.array([1.0 if r.endpoints[endpoint].quality >= 0.5 else 0.0 for r in records])


def _check_split(train: npt.NDArray[np.bool_], labels: Array, endpoint: str) -> None:
    if train.all() or not train.any() or len(np.unique(labels[train])) < 2:
        raise QualityFitError(
            f"cannot fit '{endpoint}': the split needs held-out records and training "
            "records both right and wrong",
            "profile more questions and fit again",
        )


def fit_quality(request: QualityFitRequest, progress: Progress | None = None) -> dict[str, Any]:
    """The version 2 `tandem.linear-router` artifact fitted on the profile, held-out figures too."""
    records, sha256 = load_settled(request.profile)
    labels = {e: _labels(records, e) for e in PROFILE_ENDPOINTS}
    train = np.array([not is_held_out(r.id, request.seed) for r in records])
    folds = np.array([cv_fold(r.id, request.seed) for r in records], dtype=np.int64)
    for endpoint, y in labels.items():
        _check_split(train, y, endpoint)
    embedder = request.embedder or shared_embedder()
    cache = EmbeddingCache(embedder, request.cache_dir)
    data = prompt_features([r.prompt for r in records], embedder, cache, progress)
    fitted = {e: fit_endpoint(data, y, train, folds) for e, y in labels.items()}
    return {
        "format": LINEAR_FORMAT,
        "version": 2,
        "trained": True,
        "note": "Fitted by `tandem router fit-quality` (router/learn/fit_quality.py): P(right) "
        "per endpoint, logistic over the cheap features and the MiniLM embedding. 'local' is "
        "the device's own model as profiled; 'mixtral' and 'gpt-4' are RouteLLM's recorded "
        "correctness on the same questions, standing in for the edge and the cloud.",
        "models": {key: fitted[endpoint][0] for key, endpoint in ENDPOINT_MAP.items()},
        "endpoint_map": dict(ENDPOINT_MAP),
        "held_out": {e: fitted[e][1] for e in PROFILE_ENDPOINTS},
        "cv": {e: fitted[e][2] for e in PROFILE_ENDPOINTS},
        "n": {"train": int(train.sum()), "held_out": int((~train).sum())},
        "features": {
            "cheap": list(data.names),
            "embedding": f"{EMBEDDING_MODEL} of the prompt's first {EMBED_CHARS} characters",
        },
        "data": {"file": request.profile.name, "sha256": sha256, "records": len(records)},
        "split": SPLIT_RULE,
        "held_out_percent": HELD_OUT_PERCENT,
        "cv_folds": f"{CV_FOLDS} folds of the training split: SHA-256(f'{{seed}}:cv:{{id}}') % 5",
        "seed": request.seed,
        "command": request.command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def format_report(artifact: dict[str, Any]) -> str:
    """The held-out figures per endpoint, as a short table."""
    n, data = artifact["n"], artifact["data"]
    lines = [
        f"fit on {n['train']} records, held out {n['held_out']} "
        f"({data['file']}, {data['records']} records, seed {artifact['seed']})",
        "endpoint  serves                 held-out right  AUROC  Brier  Brier (constant)  L2 (CV)",
    ]
    for endpoint, figures in artifact["held_out"].items():
        kinds = ", ".join(k for k, e in artifact["endpoint_map"].items() if e == endpoint)
        auc = "-" if figures["auroc"] is None else f"{figures['auroc']:.3f}"
        lines.append(
            f"{endpoint:<9} {kinds:<22} {figures['right']:>6} of {figures['n']:<5} "
            f"{auc:>6} {figures['brier']:>6.4f} {figures['brier_constant']:>17.4f} "
            f"{artifact['cv'][endpoint]['l2']:>8g}"
        )
    return "\n".join(lines)
