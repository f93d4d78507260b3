"""`tandem router fit-quality`: fit the learned policy's quality model, print held-out figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.router.learn.quality_profiles import synthetic_quality_profile


def test_fit_quality_writes_the_artifact_and_prints_held_out_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = synthetic_quality_profile(tmp_path / "device.jsonl", n=90)
    out = tmp_path / "assets" / "routing_learned.json"
    args = ["router", "fit-quality", "--profile", str(profile), "--out", str(out)]
    code = main([*args, "--seed", "2", "--cache", str(tmp_path / "cache")])
    assert code == 0
    captured = capsys.readouterr()
    assert "AUROC" in captured.out and "Brier" in captured.out
    for endpoint in ("local", "mixtral", "gpt-4"):
        assert endpoint in captured.out
    assert "embedded 90/90 prompts" in captured.err
    artifact = json.loads(out.read_text(encoding="utf-8"))
    assert artifact["trained"] is True and artifact["seed"] == 2
    assert artifact["command"] == (
        f"tandem router fit-quality --profile {profile} --out {out} --seed 2"
    )
