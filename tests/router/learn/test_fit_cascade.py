"""Fitting the cascade's confidence and threshold on a device profile."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from router.learn.cascade_report import FitRequest, fit_cascade, format_report, load_settled
from router.learn.fit_cascade import FitError, auroc, is_held_out
from router.learn.profile import ProfileError
from router.policy.cascade_artifact import load_calibration
from tests.router.learn.cascade_profiles import synthetic_device_profile


def test_auroc_counts_ranked_pairs_and_ties() -> None:
    assert auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == 1.0
    assert auroc([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]) == 0.0
    assert auroc([0.5, 0.5], [1, 0]) == 0.5
    assert auroc([0.3, 0.4], [1, 1]) is None


def test_split_is_fixed_by_id_and_seed_and_holds_out_about_30_percent() -> None:
    ids = [f"q{i}" for i in range(2000)]
    held = [i for i in ids if is_held_out(i, seed=0)]
    assert 0.26 < len(held) / len(ids) < 0.34
    assert held == [i for i in ids if is_held_out(i, seed=0)]
    assert held != [i for i in ids if is_held_out(i, seed=1)]


def test_fit_on_log_prob_driven_correctness_separates_held_out(tmp_path: Path) -> None:
    profile = synthetic_device_profile(tmp_path / "device.jsonl")
    artifact = fit_cascade(FitRequest(profile=profile, command="tandem router fit-cascade ..."))
    assert artifact["auroc"]["held_out"] > 0.9
    assert artifact["confidence"]["weights"]["mean_logprob"] > 0
    assert 0.0 < artifact["threshold"] < 1.0
    held = artifact["held_out"]
    # The cloud is right 90% of the time at a price worth paying: the cascade keeps the
    # sure answers and escalates the rest, beating both fixed tiers.
    assert held["cascade_fitted"]["accuracy"] > held["always_local"]["accuracy"]
    assert 0.0 < held["cascade_fitted"]["escalation_rate"] < 1.0
    assert held["cascade_fitted"]["cloud_cost_usd"] < held["always_cloud"]["cloud_cost_usd"]
    assert artifact["n"]["train"] + artifact["n"]["held_out"] == 300


def test_artifact_records_its_provenance_and_loads(tmp_path: Path) -> None:
    profile = synthetic_device_profile(tmp_path / "device.jsonl")
    command = "tandem router fit-cascade --profile device.jsonl --out a.json --seed 3"
    artifact = fit_cascade(FitRequest(profile=profile, seed=3, command=command))
    assert artifact["data"] == {
        "file": "device.jsonl",
        "sha256": hashlib.sha256(profile.read_bytes()).hexdigest(),
        "records": 300,
    }
    assert artifact["seed"] == 3 and artifact["command"] == command
    assert "SHA-256" in artifact["split"] and artifact["date"].startswith("20")
    assert set(artifact["auroc"]) == {"train", "held_out", "prior_held_out"}
    out = tmp_path / "a.json"
    out.write_text(json.dumps(artifact), encoding="utf-8")
    calibration = load_calibration(out)
    assert calibration.threshold == artifact["threshold"]
    assert calibration.auroc_held_out == artifact["auroc"]["held_out"]
    assert "held-out" in format_report(artifact)


def test_a_partial_last_line_is_ignored_and_the_file_left_alone(tmp_path: Path) -> None:
    profile = synthetic_device_profile(tmp_path / "device.jsonl", n=40)
    with profile.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "mmlu-half-writ')
    before = profile.read_bytes()
    records, _ = load_settled(profile)
    assert len(records) == 40
    assert profile.read_bytes() == before


def test_a_profile_without_confidence_signals_says_how_to_make_one(tmp_path: Path) -> None:
    profile = tmp_path / "plain.jsonl"
    line = {"id": "a", "prompt": "p", "endpoints": {"local": {"quality": 1.0}}}
    profile.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(FitError) as caught:
        fit_cascade(FitRequest(profile=profile))
    assert "profile-device" in caught.value.hint
    with pytest.raises(ProfileError):
        load_settled(tmp_path / "missing.jsonl")
