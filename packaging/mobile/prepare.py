"""Copy the parts of Tandem the phone runs into packaging/mobile/src/, for `flet build`.

`flet build apk|ipa` packages the app folder (`[tool.flet.app] path = "src"`) and
installs `[project].dependencies` as mobile wheels; Tandem itself cannot be one of
them (its distribution depends on llama-cpp-python, chromadb, onnxruntime, keyring).
So this script puts Tandem's own code beside src/main.py before a build:

- the `router` and `mcp_servers` packages, and `app/__init__.py` with `app/mobile/`;
- the data files of Tandem's `assets` package (privacy rules, word lists, prices)
  into src/assets/, which is also the folder where Flet reads icon.png and splash.png.

Standard library only; the copies are git-ignored (packaging/mobile/.gitignore).

    python packaging/mobile/prepare.py            # then: cd packaging/mobile && flet build apk
    python packaging/mobile/prepare.py --into DIR  # another app folder (tests)
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_FOLDER = Path(__file__).resolve().parent / "src"
PACKAGES = ("router", "mcp_servers", "app/mobile")
"""Folders copied whole (without caches): what the phone app imports."""
FILES = ("app/__init__.py",)
PHONE_ART = ("icon.png", "splash.png")
"""The app's own images in src/assets/, which Tandem's data files never replace."""
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


def prepare(into: Path = APP_FOLDER, root: Path = ROOT) -> list[Path]:
    """Copy Tandem's code and data into the app folder `into`; return what was written."""
    written: list[Path] = []
    for package in PACKAGES:
        target = into / package
        if target.exists():
            shutil.rmtree(target)  # a module deleted in the repository goes from the copy too
        shutil.copytree(root / package, target, ignore=_SKIP)
        written.append(target)
    for name in FILES:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        written.append(Path(shutil.copy2(root / name, into / name)))
    assets = into / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    for source in sorted((root / "assets").iterdir()):
        if source.is_file() and source.name not in PHONE_ART and source.suffix != ".pyc":
            written.append(Path(shutil.copy2(source, assets / source.name)))
    return written


def main() -> None:
    """Run `prepare` from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--into", type=Path, default=APP_FOLDER, help="the app folder")
    into: Path = parser.parse_args().into
    written = prepare(into)
    print(f"copied {len(written)} folders and files into {into}")


if __name__ == "__main__":
    main()
