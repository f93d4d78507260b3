"""Fitting the `learned` policy's quality model on a profile (router/learn/fit_quality.py)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from router.errors import TandemError
from router.learn.fit_cascade import is_held_out
from router.learn.fit_quality import (
    ENDPOINT_MAP,
    QualityFitRequest,
    fit_quality,
    format_report,
)
from router.learn.logistic import L2_GRID, choose_l2, fit_logistic
from router.learn.profile import ProfileError
from tests.router.learn.quality_profiles import WordEmbedder, synthetic_quality_profile


def _fit(profile: Path, tmp_path: Path, seed: int = 0) -> dict:  # type: ignore[type-arg]
    request = QualityFitRequest(
        profile=profile,
        seed=seed,
        command="tandem router fit-quality ...",
        cache_dir=tmp_path / "cache",
        embedder=WordEmbedder(),
    )
    return fit_quality(request)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    """One fit at seed 0 shared by the tests that only read it: (profile, artifact)."""
    folder = tmp_path_factory.mktemp("quality")
    profile = synthetic_quality_profile(folder / "p.jsonl")
    return profile, _fit(profile, folder)


def test_the_fit_learns_the_word_the_device_is_right_on(fitted: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    artifact = fitted[1]
    held = artifact["held_out"]["local"]
    assert held["auroc"] > 0.95
    # Far better calibrated than predicting the training share for everyone.
    assert held["brier"] < 0.5 * held["brier_constant"]
    # The cloud stand-in is right at random: cross-validation shrinks it to about a constant.
    cloud = artifact["held_out"]["gpt-4"]
    assert cloud["brier"] < 1.1 * cloud["brier_constant"]


def test_the_artifact_records_how_it_was_made(tmp_path: Path) -> None:
    profile = synthetic_quality_profile(tmp_path / "p.jsonl")
    artifact = _fit(profile, tmp_path, seed=4)
    assert (artifact["format"], artifact["version"], artifact["trained"]) == (
        "tandem.linear-router",
        2,
        True,
    )
    sha = hashlib.sha256(profile.read_bytes()).hexdigest()
    assert artifact["data"] == {"file": "p.jsonl", "sha256": sha, "records": 240}
    assert artifact["seed"] == 4 and artifact["command"] == "tandem router fit-quality ..."
    assert "SHA-256" in artifact["split"]
    assert artifact["endpoint_map"] == ENDPOINT_MAP
    assert set(artifact["models"]) == set(ENDPOINT_MAP)
    assert artifact["models"]["kind:fake"] == artifact["models"]["kind:local"]
    assert len(artifact["models"]["kind:cloud"]["embedding_weights"]) == 384
    held = sum(is_held_out(f"mmlu-synthetic-{i}", 4) for i in range(240))
    assert artifact["held_out"]["local"]["n"] == held
    assert artifact["cv"]["local"]["l2"] in L2_GRID


def test_the_fit_is_deterministic(fitted: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    profile, first = fitted
    second = _fit(profile, tmp_path)
    assert first["models"] == second["models"] and first["held_out"] == second["held_out"]


def test_a_gzipped_profile_gives_the_same_fit_and_data_hash(
    fitted: tuple[Path, dict],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    plain, a = fitted
    packed = tmp_path / "p.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    b = _fit(packed, tmp_path)
    assert a["models"] == b["models"]
    assert b["data"]["file"] == "p.jsonl.gz" and b["data"]["sha256"] == a["data"]["sha256"]


def test_the_report_names_every_endpoint_with_auroc_and_brier(fitted: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    text = format_report(fitted[1])
    for name in ("local", "mixtral", "gpt-4"):
        assert name in text
    assert "AUROC" in text and "Brier" in text


def test_cross_validation_shrinks_noise_more_than_signal() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 30))
    signal = (x[:, 0] > 0).astype(float)
    noise = (rng.random(200) < 0.4).astype(float)
    folds = np.arange(200) % 5
    assert choose_l2(x, noise, folds).l2 > choose_l2(x, signal, folds).l2


def test_fit_logistic_weights_work_on_the_raw_scale() -> None:
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.normal(5.0, 3.0, 300), rng.normal(-2.0, 0.1, 300)])
    y = (x[:, 0] > 5.0).astype(float)
    bias, weights = fit_logistic(x, y, l2=1.0)
    p = 1.0 / (1.0 + np.exp(-(bias + x @ weights)))
    assert ((p > 0.5) == (y > 0.5)).mean() > 0.95
    assert weights[0] > 0


def test_a_profile_without_the_device_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    profile = tmp_path / "p.jsonl"
    profile.write_text(
        '{"id": "a", "prompt": "q", "endpoints": {"cloud": {"quality": 1.0}}}\n', encoding="utf-8"
    )
    with pytest.raises(TandemError) as caught:
        _fit(profile, tmp_path)
    assert "'local'" in caught.value.message


def test_a_missing_profile_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        _fit(tmp_path / "missing.jsonl.gz", tmp_path)
    assert "cannot read profile" in caught.value.message
