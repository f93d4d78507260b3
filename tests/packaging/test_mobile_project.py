"""The phone app project (packaging/mobile/): its Flet settings, and a build folder that runs.

`prepare.py` copies Tandem's code and data into the app folder; the copy must import
and scan on an interpreter without what the phone app does not install, from the copy alone.
"""

from __future__ import annotations

import os
import runpy
import tomllib
from pathlib import Path

from PIL import Image

from tests.support.blocked import PHONE_LACKS, ROOT, last_json, run_blocked

MOBILE = ROOT / "packaging" / "mobile"
HEAVY_DISTRIBUTIONS = ("llama-cpp-python", "chromadb", "onnxruntime", "spacy", "keyring", "opencv")


def project() -> dict[str, object]:
    return tomllib.loads((MOBILE / "pyproject.toml").read_text("utf-8"))


def test_the_phone_depends_on_no_heavy_package_except_in_its_optional_list() -> None:
    meta = project()["project"]
    assert isinstance(meta, dict)
    listed = " ".join(meta["dependencies"]).lower()
    assert not [name for name in HEAVY_DISTRIBUTIONS if name in listed]
    assert list(meta["optional-dependencies"]) == ["local-model"]
    assert "llama-cpp-python==0.3.32" in meta["optional-dependencies"]["local-model"]


def test_the_flet_settings_name_the_app_its_permissions_and_why() -> None:
    flet = project()["tool"]["flet"]  # type: ignore[index]
    assert flet["bundle_id"] == "dev.tandem.app" and flet["product"] == "Tandem"
    assert flet["permissions"] == ["camera", "location"]
    assert flet["android"]["permission"] == {"android.permission.ACCESS_BACKGROUND_LOCATION": False}
    info = flet["ios"]["info"]
    for key in ("NSLocalNetworkUsageDescription", "NSCameraUsageDescription",
                "NSLocationWhenInUseUsageDescription"):  # fmt: skip
        assert info[key].startswith("Tandem "), key
    app_folder = MOBILE / flet["app"]["path"]
    assert (app_folder / f"{flet['app']['module']}.py").is_file()
    with Image.open(app_folder / "assets" / "icon.png") as icon:
        assert icon.size == (1024, 1024) and icon.mode == "RGBA"
    with Image.open(app_folder / "assets" / "splash.png") as splash:
        assert splash.size[0] >= 256


def test_the_prepared_app_folder_runs_the_phone_code_without_what_the_phone_lacks(
    tmp_path: Path,
) -> None:
    app_folder = tmp_path / "src"
    (app_folder / "assets").mkdir(parents=True)
    for name in ("main.py", "assets/icon.png"):
        (app_folder / name).write_bytes((MOBILE / "src" / name).read_bytes())
    written = runpy.run_path(str(MOBILE / "prepare.py"))["prepare"](app_folder)
    assert app_folder / "router" in written
    done = run_blocked(
        """
        import json
        from importlib import resources
        import main, router, app.mobile.view
        from router.runtime.compose import scanner_for
        from router.settings.config import load_settings
        from router.types import TurnRequest
        from tests.support.blocked import PHONE_LACKS, loaded_heavy
        text = "My card is 4111 1111 1111 1111"
        report = scanner_for(load_settings()).scan(TurnRequest(text=text, session_id="s"), [])
        print(json.dumps({
            "files": [router.__file__, app.mobile.view.__file__, main.__file__,
                      str(resources.files("assets").joinpath("privacy_rules.toml"))],
            "action": report.action,
            "loaded": loaded_heavy(PHONE_LACKS),
        }))
        """,
        blocked=PHONE_LACKS,
        cwd=app_folder,
        env={"PYTHONPATH": os.pathsep.join([str(app_folder), str(ROOT)])},
    )
    report = last_json(done)
    assert all(Path(f).is_relative_to(app_folder) for f in report["files"]), report["files"]
    assert report["action"] == "keep_local"
    assert report["loaded"] == []
    assert (app_folder / "assets" / "icon.png").read_bytes() == (
        MOBILE / "src" / "assets" / "icon.png"
    ).read_bytes()
