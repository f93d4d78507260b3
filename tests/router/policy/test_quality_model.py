"""The quality model's artifact: version 2 (embedding weights) and version 1 (hand-set)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from router.endpoints.fake import FakeEndpoint
from router.errors import TandemError
from router.learn.cascade_report import write_artifact
from router.learn.fit_quality import QualityFitRequest, fit_quality
from router.policy.features import TurnFeatures, compute_features
from router.policy.learned import NO_EMBEDDING_NOTE, LearnedPolicy
from router.policy.quality_model import feature_vector, load_quality_model
from router.types import PrivacyReport, TurnRequest
from tests.router.learn.quality_profiles import (
    SIGNAL_WORD,
    WordEmbedder,
    synthetic_quality_profile,
)

HAND_SET_V1 = {
    "format": "tandem.linear-router",
    "version": 1,
    "trained": False,
    "note": "HAND-SET, NOT TRAINED",
    "models": {
        "kind:local": {"bias": 2.2, "weights": {"difficulty": -4.0, "task:math": -0.6}},
        "kind:cloud": {"bias": 2.6, "weights": {"difficulty": -1.4}},
    },
}


def _features(text: str, embed: bool = True) -> TurnFeatures:
    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "cloud": FakeEndpoint(name="cloud", kind="cloud", price_per_token_usd=1e-6),
    }
    return compute_features(
        TurnRequest(text=text, session_id="s"),
        PrivacyReport(),
        (),
        endpoints,
        embedder=WordEmbedder() if embed else None,
    )


@pytest.fixture(scope="module")
def fitted_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A version 2 artifact fitted on the synthetic profile, written to disk."""
    folder = tmp_path_factory.mktemp("artifact")
    request = QualityFitRequest(
        profile=synthetic_quality_profile(folder / "p.jsonl"),
        cache_dir=folder / "cache",
        embedder=WordEmbedder(),
    )
    out = folder / "routing_learned.json"
    write_artifact(fit_quality(request), out)
    return out


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "router.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_fitted_artifact_round_trips_through_the_file(fitted_file: Path) -> None:
    model = load_quality_model(fitted_file)
    assert model.trained and model.uses_embedding
    right = _features(f"which of the {SIGNAL_WORD} best describes law?")
    wrong = _features("which of the following best describes law?")
    local = right.endpoints["local"]
    assert model.predict(local, right) > 0.7 > 0.3 > model.predict(local, wrong)


def test_the_embedding_part_counts_only_with_an_embedding(fitted_file: Path) -> None:
    model = load_quality_model(fitted_file)
    spec = json.loads(fitted_file.read_text())["models"]["kind:local"]
    features = _features(f"which {SIGNAL_WORD} answer?", embed=False)
    vector = feature_vector(features)
    z = spec["bias"] + sum(w * vector[k] for k, w in spec["weights"].items())
    expected = 1 / (1 + math.exp(-z))
    assert model.predict(features.endpoints["local"], features) == pytest.approx(expected)


def test_without_an_embedding_the_decision_says_so(fitted_file: Path) -> None:
    policy = LearnedPolicy(load_quality_model(fitted_file))
    assert NO_EMBEDDING_NOTE in policy.decide(_features("hello there", embed=False)).reason
    assert NO_EMBEDDING_NOTE not in policy.decide(_features("hello there")).reason


def test_a_hand_set_version_1_artifact_still_loads(tmp_path: Path) -> None:
    model = load_quality_model(_write(tmp_path, HAND_SET_V1))
    assert not model.trained and not model.uses_embedding
    features = _features("what is 2 + 2?")
    z = 2.2 - 4.0 * features.difficulty - 0.6 * (features.task == "math")
    assert model.predict(features.endpoints["local"], features) == pytest.approx(
        1 / (1 + math.exp(-z))
    )


def _with_local(fitted_file: Path, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fitted_file.read_text())
    data["models"]["kind:local"].update(changes)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"embedding_weights": [0.1] * 383}, "kind:local.embedding_weights must be a list of 384"),
        ({"embedding_weights": ["x"] * 384}, "kind:local.embedding_weights must be a finite"),
        ({"embedding_bias": "high"}, "kind:local.embedding_bias must be a finite number"),
        ({"bias": None}, "kind:local.bias must be a finite number"),
        ({"weights": [1, 2]}, "kind:local.weights must be an object"),
    ],
)
def test_a_malformed_version_2_artifact_is_a_clear_error(
    fitted_file: Path, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = _write(tmp_path, _with_local(fitted_file, **change))
    with pytest.raises(TandemError) as caught:
        load_quality_model(path)
    assert message in caught.value.message and str(path) in caught.value.message
    assert "learned_artifact" in (caught.value.hint or "")


def test_embedding_weights_in_a_version_1_file_or_an_unknown_version_are_errors(
    fitted_file: Path, tmp_path: Path
) -> None:
    for version, message in [(1, "embedding weights need version 2"), (3, "version 1 or 2")]:
        data = json.loads(fitted_file.read_text())
        data["version"] = version
        with pytest.raises(TandemError) as caught:
            load_quality_model(_write(tmp_path, data))
        assert message in caught.value.message


def test_the_gap_router_leaves_fitted_off_device_models_alone(fitted_file: Path) -> None:
    with_router = load_quality_model(fitted_file, gap_router="bundled")
    alone = load_quality_model(fitted_file)
    features = _features("which of the following best describes rivers?")
    cloud = features.endpoints["cloud"]
    assert with_router.predict(cloud, features) == alone.predict(cloud, features)


def test_embedding_weights_are_applied_as_a_dot_product(tmp_path: Path) -> None:
    weights = np.zeros(384)
    weights[:2] = [3.0, -1.0]
    data = {
        "format": "tandem.linear-router",
        "version": 2,
        "models": {
            "kind:local": {
                "bias": 0.5,
                "embedding_bias": -0.25,
                "embedding_weights": weights.tolist(),
            }
        },
    }
    model = load_quality_model(_write(tmp_path, data))
    features = _features("hello world")
    assert features.embedding is not None
    z = 0.5 - 0.25 + 3.0 * float(features.embedding[0]) - float(features.embedding[1])
    local = features.endpoints["local"]
    assert model.predict(local, features) == pytest.approx(1 / (1 + math.exp(-z)))
