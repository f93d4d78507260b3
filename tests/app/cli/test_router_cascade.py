"""`tandem router fit-cascade`: fit on a device profile, print the held-out figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.router.learn.cascade_profiles import synthetic_device_profile


def test_fit_cascade_writes_the_artifact_and_prints_held_out_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = synthetic_device_profile(tmp_path / "device.jsonl")
    out = tmp_path / "assets" / "routing_cascade.json"
    code = main(["router", "fit-cascade", "--profile", str(profile), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "AUROC" in printed and "always cloud" in printed and "cascade (fitted)" in printed
    artifact = json.loads(out.read_text(encoding="utf-8"))
    assert artifact["command"].startswith("tandem router fit-cascade --profile ")
    assert artifact["auroc"]["held_out"] > 0.9
