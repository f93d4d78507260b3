"""`router.learn.report.single_turn`: which recipe its cross-dataset rows are trained with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from router.learn import report
from router.learn.cross_dataset import DEFAULT_TARGET
from router.learn.train import TrainingSet
from router.policy.trained_router import EMBEDDING_DIM


def _bench(seed: int, n: int = 60) -> TrainingSet:
    rng = np.random.default_rng(seed)
    weak = rng.integers(0, 2, n).astype(np.float64)
    return TrainingSet(
        [f"question {i}: {'digits 12345' if w == 0 else 'words'}" for i, w in enumerate(weak)],
        rng.normal(size=(n, EMBEDDING_DIM)),
        weak,
        np.ones(n),
        np.full(n, 1e-4),
        np.full(n, 1e-3),
    )


def test_cross_dataset_rows_train_the_shipped_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The goal table's MT-Bench rows use the target the shipped router is trained on."""
    sets = {"gsm8k": _bench(0), "mmlu": _bench(1), "mt_bench": _bench(2)}
    targets: dict[int, str] = {}
    real_train = report.train_router

    def recording_train(data: TrainingSet, *args: Any, **kwargs: Any) -> Any:
        targets[len(data.prompts)] = kwargs.get("target", "gap")
        return real_train(data, *args, **kwargs)

    monkeypatch.setattr(report, "bench_data", lambda root, bench, cache: sets[bench])
    monkeypatch.setattr(report, "curves_plot", lambda *args, **kwargs: None)
    monkeypatch.setattr(report, "KINDS", ("logistic",))
    monkeypatch.setattr(report, "train_router", recording_train)
    result = report.single_turn(tmp_path, None, tmp_path, lambda line: None)  # type: ignore[arg-type]
    assert targets[120] == DEFAULT_TARGET == "weak_failure"  # MMLU + GSM8K, scored on MT-Bench
    assert targets[48] == "gap"  # the in-domain folds keep the recorded gap
    assert result["mt_bench/cross_from_mmlu_gsm8k"]["n_train"] == 120
