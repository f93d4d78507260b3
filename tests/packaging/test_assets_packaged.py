"""Every shipped asset is in the wheel: a file the patterns miss works in a checkout only."""

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_asset_file_matches_a_package_data_pattern() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["assets"]
    files = [p.name for p in (ROOT / "assets").iterdir() if p.is_file() and p.suffix != ".py"]
    assert files, "no assets found"
    missed = [name for name in files if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert missed == [], f"add a pattern to [tool.setuptools.package-data] for {missed}"
