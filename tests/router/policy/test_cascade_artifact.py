"""The cascade loads the fitted artifact when one ships, and its priors otherwise."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import router.policy.confidence as confidence_module
import router.policy.factory as factory_module
from router.policy.cascade_artifact import (
    DEFAULT_CASCADE,
    CascadeArtifactError,
    CascadeCalibration,
    load_calibration,
    shipped_calibration,
)
from router.policy.confidence import PRIOR, PRIOR_THRESHOLD, confidence
from router.policy.factory import cascade_threshold
from router.policy.settings import RoutingSettings
from tests.router.policy.helpers import scored

ARTIFACT = {
    "format": "tandem.cascade",
    "version": 1,
    "confidence": {
        "intercept": 0.5,
        "weights": {"mean_logprob": 4.0, "mean_entropy": -1.0, "agreement": 0.0},
        "agreement_if_missing": 0.3,
    },
    "threshold": 0.42,
    "auroc": {"train": 0.8, "held_out": 0.75, "prior_held_out": 0.6},
}


def _use(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Point the policy code at `path` as if the app shipped it."""
    shipped_calibration.cache_clear()
    for module in (confidence_module, factory_module):
        monkeypatch.setattr(module, "shipped_calibration", lambda: shipped_calibration(path))


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_fitted_artifact_sets_confidence_and_threshold(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _write(tmp_path / "cascade.json", ARTIFACT))
    answer = [scored("Paris.", -0.2, 0.5)]
    fitted = confidence(answer)
    # sigmoid(0.5 + 4 * -0.2 - 0.5) = sigmoid(-0.8)
    assert fitted.score == pytest.approx(0.3100, abs=1e-4)
    assert fitted.source == "fitted" and "fitted confidence" in fitted.describe()
    assert fitted.score != confidence(answer, PRIOR).score
    assert cascade_threshold(RoutingSettings(policy="cascade")) == (0.42, "fitted")


def test_without_an_artifact_the_priors_are_used_and_said(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, tmp_path / "absent.json")
    answer = [scored("Paris.", -0.2, 0.5)]
    assert confidence(answer) == confidence(answer, PRIOR)
    assert "prior confidence" in confidence(answer).describe()
    settings = RoutingSettings(policy="cascade")
    assert cascade_threshold(settings) == (PRIOR_THRESHOLD, "prior")
    policy = factory_module.policy_for("cascade", settings)
    assert getattr(policy, "threshold_source", None) == "prior"


def test_the_users_threshold_wins_over_the_artifact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _write(tmp_path / "cascade.json", ARTIFACT))
    settings = RoutingSettings(policy="cascade", cascade_threshold=0.7)
    assert cascade_threshold(settings) == (0.7, "your setting")


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({**ARTIFACT, "format": "something else"}),
        json.dumps({**ARTIFACT, "threshold": 1.5}),
        json.dumps({**ARTIFACT, "confidence": {"intercept": 0.0}}),
    ],
)
def test_a_malformed_artifact_is_named_once_and_the_priors_used(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    content: str,
) -> None:
    path = tmp_path / "cascade.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CascadeArtifactError) as caught:
        load_calibration(path)
    assert str(path) in caught.value.message and "fit-cascade" in caught.value.hint
    _use(monkeypatch, path)
    with caplog.at_level(logging.WARNING):
        assert confidence([scored("Paris.", -0.2, 0.5)]).source == "prior"
        assert cascade_threshold(RoutingSettings(policy="cascade")) == (PRIOR_THRESHOLD, "prior")
    warnings = [r for r in caplog.records if "cascade artifact" in r.getMessage()]
    assert len(warnings) == 1


def test_the_shipped_artifact_is_valid_and_records_provenance() -> None:
    calibration = load_calibration(DEFAULT_CASCADE)
    assert isinstance(calibration, CascadeCalibration)
    data = json.loads(DEFAULT_CASCADE.read_text(encoding="utf-8"))
    assert {"file", "sha256"} <= set(data["data"]) and data["command"].startswith("tandem ")
    assert {"seed", "split", "date", "n", "auroc"} <= set(data)
