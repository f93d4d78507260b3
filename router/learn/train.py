"""Training single-turn routers (numpy only): logistic, small MLP, matrix factorisation, kNN.

Targets are soft labels in [0, 1] (`router.learn.targets`: the recorded gap, or
the weak model's failures) and every model minimises cross-entropy against
them; a score always estimates (1 + expected gap) / 2.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from router.learn.profile import ProfileRecord
from router.learn.targets import soft_labels
from router.policy.cheap_features import cheap_matrix
from router.policy.trained_router import KINDS, Router, feature_spec, sigmoid

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrainingSet:
    """Prompts with the strong and weak endpoints' qualities and costs."""

    prompts: list[str]
    embeddings: Array
    weak_quality: Array
    strong_quality: Array
    weak_cost: Array
    strong_cost: Array

    @property
    def gap(self) -> Array:
        """Quality gained by calling the strong endpoint, per prompt."""
        return self.strong_quality - self.weak_quality

    def subset(self, index: npt.NDArray[np.int64]) -> TrainingSet:
        """The rows at `index`."""
        return TrainingSet(
            [self.prompts[i] for i in index],
            self.embeddings[index],
            self.weak_quality[index],
            self.strong_quality[index],
            self.weak_cost[index],
            self.strong_cost[index],
        )


def training_set(
    records: Sequence[ProfileRecord], strong: str, weak: str, embeddings: npt.ArrayLike
) -> TrainingSet:
    """Records that profiled both endpoints; `embeddings` has one row per record."""
    emb = np.asarray(embeddings, dtype=np.float64)
    keep = [i for i, r in enumerate(records) if strong in r.endpoints and weak in r.endpoints]
    if not keep:
        raise ValueError(f"no record profiles both {strong!r} and {weak!r}")
    rows = [records[i] for i in keep]
    return TrainingSet(
        prompts=[r.prompt for r in rows],
        embeddings=emb[keep],
        weak_quality=np.array([r.endpoints[weak].quality for r in rows]),
        strong_quality=np.array([r.endpoints[strong].quality for r in rows]),
        weak_cost=np.array([r.endpoints[weak].cost_usd for r in rows]),
        strong_cost=np.array([r.endpoints[strong].cost_usd for r in rows]),
    )


class _Adam:
    """Adam over a dict of parameter arrays (numpy)."""

    def __init__(self, params: dict[str, Array], lr: float) -> None:
        self.params, self.lr, self.t = params, lr, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: dict[str, Array]) -> None:
        self.t += 1
        for k, g in grads.items():
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
            m_hat = self.m[k] / (1 - 0.9**self.t)
            v_hat = self.v[k] / (1 - 0.999**self.t)
            self.params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


def _fit(
    forward: Any,
    params: dict[str, Array],
    x: Array,
    y: Array,
    *,
    epochs: int,
    lr: float,
    l2: float,
    seed: int,
    batch: int = 256,
) -> dict[str, Array]:
    """Minibatch Adam on soft-label cross-entropy; `forward(params, x)` -> (logit, backprop)."""
    rng = np.random.default_rng(seed)
    opt = _Adam(params, lr)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            idx = order[start : start + batch]
            logit, backprop = forward(params, x[idx])
            dlogit = (sigmoid(logit) - y[idx]) / len(idx)
            grads = backprop(dlogit)
            for k in grads:
                if params[k].ndim > 1:  # weight decay on matrices only
                    grads[k] = grads[k] + l2 * params[k]
            opt.step(grads)
    return params


def _logistic(x: Array, y: Array, seed: int) -> dict[str, Array]:
    params = {"w": np.zeros(x.shape[1]), "b": np.zeros(())}

    def forward(p: dict[str, Array], xb: Array) -> tuple[Array, Any]:
        def back(d: Array) -> dict[str, Array]:
            return {"w": xb.T @ d + 1e-3 * p["w"], "b": np.asarray(d.sum())}

        return xb @ p["w"] + p["b"], back

    return _fit(forward, params, x, y, epochs=30, lr=0.01, l2=0.0, seed=seed)


def _mlp(x: Array, y: Array, seed: int, hidden: int = 64) -> dict[str, Array]:
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(0, np.sqrt(2.0 / x.shape[1]), (x.shape[1], hidden)),
        "b1": np.zeros(hidden),
        "w2": rng.normal(0, np.sqrt(1.0 / hidden), hidden),
        "b2": np.zeros(()),
    }

    def forward(p: dict[str, Array], xb: Array) -> tuple[Array, Any]:
        pre = xb @ p["W1"] + p["b1"]
        h = np.maximum(pre, 0.0)

        def back(d: Array) -> dict[str, Array]:
            dh = np.outer(d, p["w2"]) * (pre > 0)
            return {
                "W1": xb.T @ dh,
                "b1": dh.sum(axis=0),
                "w2": h.T @ d,
                "b2": np.asarray(d.sum()),
            }

        return h @ p["w2"] + p["b2"], back

    return _fit(forward, params, x, y, epochs=20, lr=0.002, l2=1e-3, seed=seed)


def _mf(x: Array, y: Array, seed: int, rank: int = 32) -> dict[str, Array]:
    """Two-model matrix factorisation: s(m, x) = (V[m] * (x P)).u + c[m]; logit = s(0) - s(1).

    Row 0 of V is the strong model, row 1 the weak one (as RouteLLM's `mf`,
    whose model embeddings are learned from pairwise outcomes).
    """
    rng = np.random.default_rng(seed)
    params = {
        "P": rng.normal(0, 1.0 / np.sqrt(x.shape[1]), (x.shape[1], rank)),
        "V": rng.normal(0, 0.1, (2, rank)),
        "u": np.ones(rank),
        "c": np.zeros(2),
    }

    def forward(p: dict[str, Array], xb: Array) -> tuple[Array, Any]:
        z = xb @ p["P"]
        dv = p["V"][0] - p["V"][1]
        zu = z * p["u"]

        def back(d: Array) -> dict[str, Array]:
            g_dv = zu.T @ d
            g_z = np.outer(d, dv * p["u"])
            return {
                "P": xb.T @ g_z,
                "V": np.stack([g_dv, -g_dv]),
                "u": (z * dv).T @ d,
                "c": np.array([d.sum(), -d.sum()]),
            }

        return zu @ dv + p["c"][0] - p["c"][1], back

    return _fit(forward, params, x, y, epochs=20, lr=0.003, l2=1e-4, seed=seed)


def _pca(x: Array, rank: int) -> Array:
    """The top `rank` principal directions of x (d, rank)."""
    centered = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centered[: min(len(x), 5000)], full_matrices=False)
    return np.asarray(vt[:rank].T, dtype=np.float64)


def calibrate(scores: npt.ArrayLike, target_share: float) -> float:
    """The threshold that sends `target_share` of these prompts to the strong model."""
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if target_share <= 0.0:
        return float(s[0] + 1e-9)
    k = min(len(s), max(1, round(target_share * len(s))))
    return float(s[k - 1])


def share_for_cost(data: TrainingSet, target_cost: float) -> float:
    """The strong-call share whose mean cost per prompt is `target_cost` (clipped to [0, 1])."""
    weak, strong = data.weak_cost.mean(), data.strong_cost.mean()
    if strong <= weak:
        return 1.0
    return float(np.clip((target_cost - weak) / (strong - weak), 0.0, 1.0))


def train_router(
    data: TrainingSet,
    kind: str,
    strong: str,
    weak: str,
    *,
    target_share: float = 0.5,
    seed: int = 0,
    k: int = 40,
    note: str = "",
    target: str = "gap",
) -> Router:
    """Fit a router of `kind` on `target` (see `TARGETS`) and calibrate its threshold."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    started = time.perf_counter()
    y, scale = soft_labels(data.weak_quality, data.strong_quality, target)
    cheap = cheap_matrix(data.prompts).astype(np.float64)
    mean, std = cheap.mean(axis=0), cheap.std(axis=0) + 1e-6
    x = np.concatenate([data.embeddings, (cheap - mean) / std], axis=1)
    arrays: dict[str, npt.NDArray[Any]]
    meta: dict[str, Any] = {}
    if kind == "logistic":
        arrays = dict(_logistic(x, y, seed))
    elif kind == "mlp":
        arrays = dict(_mlp(x, y, seed))
    elif kind == "mf":
        arrays = dict(_mf(x, y, seed))
        meta["models"] = [strong, weak]
    else:
        proj = _pca(x, 64)
        memory = x @ proj
        memory /= np.maximum(np.linalg.norm(memory, axis=1, keepdims=True), 1e-12)
        # float16 memory keeps artifacts small; similarities move by < 1e-3.
        arrays = {"P": proj, "memory": memory.astype(np.float16), "gap": 2.0 * y - 1.0}
        meta["k"] = k
    arrays = {
        key: np.asarray(v, dtype=np.float32) if np.asarray(v).dtype == np.float64 else v
        for key, v in arrays.items()
    }
    arrays["cheap_mean"], arrays["cheap_std"] = mean, std
    router = Router(kind=kind, meta={}, arrays=arrays)
    router.meta.update(
        meta,
        strong=strong,
        weak=weak,
        threshold=0.5,
        feature_spec=feature_spec(),
        n_train=len(y),
        note=note,
        target=target,
        gap_scale=scale,
    )
    scores = router.score_inputs(x)
    router.meta["threshold"] = calibrate(scores, target_share)
    router.meta["target_strong_share"] = target_share
    router.meta["train_seconds"] = round(time.perf_counter() - started, 3)
    return router
