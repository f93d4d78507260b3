"""`tandem router fit-cascade` and `fit-quality` on a profile they cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main


@pytest.mark.parametrize(
    ("command", "missing"), [("fit-cascade", "no.jsonl"), ("fit-quality", "no.jsonl.gz")]
)
def test_fitting_on_a_missing_profile_is_one_clear_error(
    command: str, missing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.json"
    code = main(["router", command, "--profile", str(tmp_path / missing), "--out", str(out)])
    assert code != 0
    assert "cannot read profile" in capsys.readouterr().err
    assert not out.exists()
