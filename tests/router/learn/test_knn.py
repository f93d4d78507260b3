from pathlib import Path

import numpy as np

from router.learn.train import train_router
from router.policy.trained_router import load_router, save_router
from tests.router.learn.synthetic import separable


def _float64_scores(router, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The kNN score computed in float64 throughout, as the reference."""
    q = x @ np.asarray(router.arrays["P"], dtype=np.float64)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    sims = q @ np.asarray(router.arrays["memory"], dtype=np.float64).T
    k = int(router.meta["k"])
    nearest = np.argsort(-sims, axis=1)[:, :k]
    return (1.0 + router.arrays["gap"][nearest].mean(axis=1)) / 2.0


def test_float32_knn_scores_match_float64() -> None:
    data = separable(400, seed=3)
    router = train_router(data.subset(np.arange(300)), "knn", "big", "small", k=15)
    test = data.subset(np.arange(300, 400))
    x = router.inputs(test.embeddings, test.prompts)
    ours = router.score_inputs(x)
    assert ours.dtype == np.float64
    # one neighbour swapped at the k-th place moves a score by at most 1/k
    assert np.abs(ours - _float64_scores(router, x)).max() <= 1.0 / 15 + 1e-9
    assert np.mean(np.isclose(ours, _float64_scores(router, x))) >= 0.95


def test_knn_routes_hard_prompts_to_the_strong_model_after_reload(tmp_path: Path) -> None:
    data = separable(500, seed=4)
    router = load_router(save_router(train_router(data, "knn", "big", "small"), tmp_path / "k"))
    hard = data.embeddings[:, 0] > 0.05
    easy = data.embeddings[:, 0] < -0.05
    routes = [router.route(e, p) for e, p in zip(data.embeddings, data.prompts, strict=True)]
    assert np.mean([r == "big" for r, h in zip(routes, hard, strict=True) if h]) > 0.8
    assert np.mean([r == "small" for r, e in zip(routes, easy, strict=True) if e]) > 0.8
    # the float32 copies are built once and never written to the artifact
    assert "_memory32" in router.arrays
    again = load_router(save_router(router, tmp_path / "k2"))
    assert not any(k.startswith("_") for k in again.arrays)
