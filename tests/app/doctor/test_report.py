"""`tandem doctor`: the report as data, its CLI (text, JSON, exit code) and robustness."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from app import doctor
from app.cli import main
from app.doctor import Check, Context, host, local_model, problems, report, run_checks
from router.endpoints.llama_checks import CHECKS_FILE, CheckRecord, CheckStore, cpu_summary
from router.install_hints import pip_install_command
from router.paths import TandemPaths
from router.privacy.detectors import ner
from router.settings.config import Settings
from router.settings.store import write_toml
from tests.app.cli_support import run_tandem, tandem_env
from tests.support.missing import missing


@pytest.fixture
def ner_unavailable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the NER packages uninstalled for this test, as without the `ner` extra.

    A None entry in sys.modules makes `find_spec` return None and `import` fail,
    which is exactly what a missing package looks like.
    """
    for module in ner.NER_PACKAGES:
        monkeypatch.setitem(sys.modules, module, None)
    yield


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {c.id: c for c in checks}


def record(model: str, profile: str, failures: list[str], cpu: str | None = None) -> CheckRecord:
    return CheckRecord(
        key=f"{model}-{profile}",
        model=model,
        build="llama-cpp-python test",
        cpu=cpu if cpu is not None else cpu_summary(),
        profile=profile,
        settings="extra CPU buffers off" if profile else "",
        failures=failures,
        checked_at="2025-01-02T03:04:05+00:00",
    )


def test_the_report_covers_every_topic_and_each_problem_has_a_fix(
    tandem_home: TandemPaths,
) -> None:
    checks = run_checks(tandem_home, load=False)
    ids = [c.id for c in checks]
    for expected in ("config", "cpu", "llama", "model", "selftest", "ner", "keyring"):
        assert expected in ids
    for expected in ("embedding", "chromium", "data"):
        assert expected in ids
    for check in checks:
        assert check.status in ("ok", "warn", "problem")
        assert check.detail
        if check.status == "problem":
            assert check.fix, check
        # The PyPI `tandem` is somebody else's project.
        assert "pip install tandem" not in check.fix
        assert "'tandem[" not in check.fix


def test_missing_ner_is_a_problem_that_names_the_consequence_and_the_fix(
    tandem_home: TandemPaths, ner_unavailable: None
) -> None:
    check = by_id(run_checks(tandem_home, load=False))["ner"]
    assert check.status == "problem"
    assert "presidio-analyzer" in check.detail and "spacy" in check.detail
    assert "heuristics only" in check.detail
    assert check.fix == pip_install_command("ner")
    assert "-e '.[ner]'" in check.fix
    assert check in problems(run_checks(tandem_home, load=False))


def test_missing_ner_in_standard_names_mode_says_names_are_not_caught(
    tandem_home: TandemPaths, ner_unavailable: None
) -> None:
    write_toml(tandem_home.config_file, {"privacy": {"names": "standard"}})
    check = by_id(run_checks(tandem_home, load=False))["ner"]
    assert check.status == "problem" and "not caught at all" in check.detail


def test_missing_ner_switched_off_in_the_settings_is_not_a_problem(
    tandem_home: TandemPaths, ner_unavailable: None
) -> None:
    write_toml(tandem_home.config_file, {"privacy": {"ner": False}})
    check = by_id(run_checks(tandem_home, load=False))["ner"]
    assert check.status == "ok" and "off in your settings" in check.detail


def test_ner_that_is_installed_is_loaded_and_reported_working(tandem_home: TandemPaths) -> None:
    if not ner.dependencies_available():
        missing("the ner extra is not installed here")
    check = by_id(run_checks(tandem_home))["ner"]
    assert check.status == "ok", check
    assert "working" in check.detail and "presidio-analyzer" in check.detail


def test_without_records_the_self_test_is_not_yet_checked(tandem_home: TandemPaths) -> None:
    # A record for another CPU does not count for this one.
    store = CheckStore(tandem_home.data_dir / CHECKS_FILE)
    store.put(record("/m/other.gguf", "default", [], cpu="Some Other CPU [avx]"))
    check = by_id(run_checks(tandem_home, load=False))["selftest"]
    assert check.status == "ok"
    assert "not yet checked: the first chat turn runs it" in check.detail


def test_the_self_test_record_shows_the_profile_settings_and_what_failed(
    tandem_home: TandemPaths,
) -> None:
    store = CheckStore(tandem_home.data_dir / CHECKS_FILE)
    store.put(record("/models/qwen.gguf", "no-extra-buffers", ["default: crashed (SIGSEGV)"]))
    check = by_id(run_checks(tandem_home, load=False))["selftest"]
    assert check.status == "ok"
    assert "qwen.gguf: passed with no-extra-buffers (extra CPU buffers off)" in check.detail
    assert "default: crashed (SIGSEGV)" in check.detail
    assert "2025-01-02 03:04:05 UTC" in check.detail


def test_a_model_no_settings_worked_for_is_a_problem_with_a_fix(
    tandem_home: TandemPaths,
) -> None:
    store = CheckStore(tandem_home.data_dir / CHECKS_FILE)
    store.put(record("/models/broken.gguf", "", ["default: crashed", "minimal: garbage"]))
    check = by_id(run_checks(tandem_home, load=False))["selftest"]
    assert check.status == "problem"
    assert "broken.gguf: no settings worked" in check.detail
    assert "tandem models list" in check.fix

    forced = Context(tandem_home, cast(Settings, _Settings(cpu_extra_buffers="on")))
    check = local_model.check_selftest(forced)
    assert 'cpu_extra_buffers = "auto"' in check.fix


class _Local:
    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)


class _Settings:
    """Settings with a [local] section holding what the lead's config adds."""

    def __init__(self, **local: object) -> None:
        self.local = _Local(model="bundled", **local)


def test_amx_with_extra_buffers_forced_on_is_a_warning(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "router.endpoints.llama_checks.cpu_summary", lambda: "Xeon [amx_tile avx512f]"
    )
    context = Context(tandem_home, cast(Settings, _Settings(cpu_extra_buffers="on")))
    check = local_model.check_cpu(context)
    assert check.status == "warn" and "llama.cpp#20824" in check.detail
    assert 'cpu_extra_buffers = "auto"' in check.fix
    # Without a setting (older config), `auto` is assumed and the self-test decides.
    assert local_model.check_cpu(Context(tandem_home, None)).status == "ok"


def test_a_broken_config_file_is_the_first_problem_and_the_rest_still_runs(
    tandem_home: TandemPaths,
) -> None:
    tandem_home.config_file.write_text("[local\nmodel = ", encoding="utf-8")
    checks = run_checks(tandem_home, load=False)
    assert checks[0].id == "config" and checks[0].status == "problem"
    assert "not valid TOML" in checks[0].detail
    assert f"{tandem_home.config_file}.bak" in checks[0].fix
    assert {"cpu", "ner", "data"} <= set(by_id(checks))


def test_a_check_that_crashes_becomes_a_problem_line(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> str:
        raise RuntimeError("no /proc here")

    monkeypatch.setattr("router.endpoints.llama_checks.cpu_summary", broken)
    checks = by_id(run_checks(tandem_home, load=False))
    assert checks["cpu"].status == "problem" and checks["cpu"].title == "CPU"
    assert "the check itself failed: RuntimeError: no /proc here" in checks["cpu"].detail
    assert checks["cpu"].fix


def test_no_keyring_backend_reports_the_private_file_and_a_loose_one_is_a_problem(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("router.endpoints.secrets.keyring_backend", lambda: None)
    check = by_id(run_checks(tandem_home, load=False))["keyring"]
    assert check.status == "ok" and "no OS keyring" in check.detail
    assert "secrets.json, readable by you only" in check.detail

    secrets = tandem_home.config_dir / "secrets.json"
    secrets.write_text('{"keys": {}}', encoding="utf-8")
    secrets.chmod(0o644)
    check = by_id(run_checks(tandem_home, load=False))["keyring"]
    assert check.status == "problem" and "mode 644" in check.detail
    assert check.fix == f"chmod 600 {secrets}"


def test_data_folders_list_their_parts_and_sizes(tandem_home: TandemPaths) -> None:
    (tandem_home.models_dir / "small.gguf").write_bytes(b"x" * 2500)
    (tandem_home.data_dir / "memory").mkdir()
    (tandem_home.data_dir / "logs").mkdir()
    (tandem_home.data_dir / "logs" / "tandem.log").write_text("hello", encoding="utf-8")
    check = by_id(run_checks(tandem_home, load=False))["data"]
    assert check.status in ("ok", "warn")
    assert str(tandem_home.data_dir) in check.detail
    lines = check.detail.splitlines()
    assert any(line.split()[:2] == ["models", "models/"] and "2.5 kB" in line for line in lines)
    assert any(line.split()[:2] == ["logs", "logs/"] and "5 B" in line for line in lines)
    assert any(line.strip().startswith("memory (Chroma)") for line in lines)
    assert any(line.startswith("free:") for line in lines)


def test_an_unreadable_or_read_only_data_folder_is_a_problem_not_a_crash(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tandem_home.data_dir
    real_iterdir = Path.iterdir

    def iterdir(self: Path) -> Iterator[Path]:
        if self == data:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    check = by_id(run_checks(tandem_home, load=False))["data"]
    assert check.status == "problem"
    assert f"cannot read: {data}" in check.detail
    assert "chown" in check.fix and str(data) in check.fix

    monkeypatch.setattr(Path, "iterdir", real_iterdir)
    monkeypatch.setattr("app.doctor.host.os.access", lambda path, mode: Path(path) != data)
    check = by_id(run_checks(tandem_home, load=False))["data"]
    assert check.status == "problem" and f"cannot write: {data}" in check.detail


def test_the_embedding_model_is_found_and_loads(tandem_home: TandemPaths) -> None:
    check = by_id(run_checks(tandem_home))["embedding"]
    assert check.status == "ok", check
    assert "loads and embeds" in check.detail


def test_a_missing_embedding_file_is_a_problem_with_the_reinstall_command(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("router.memory.embedding.model_file", lambda: tmp_path / "gone.onnx")
    check = by_id(run_checks(tandem_home, load=False))["embedding"]
    assert check.status == "problem" and "gone.onnx" in check.detail
    assert check.fix == pip_install_command(force=True)


def test_chromium_missing_is_a_warning_with_the_apt_command(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(host, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr("app.doctor.host.shutil.which", lambda name: None)
    check = by_id(run_checks(tandem_home, load=False))["chromium"]
    assert check.status == "warn" and "browser tests" in check.detail
    assert check.fix == "sudo apt-get install chromium"


def fake_checks(*statuses: doctor.Status) -> tuple[doctor.CheckFn, ...]:
    def make(i: int, status: doctor.Status) -> doctor.CheckFn:
        def check(context: Context) -> Check:
            return Check(f"c{i}", f"Check {i}", status, f"detail {i}\nsecond line", f"fix-{i}")

        return check

    return tuple(make(i, s) for i, s in enumerate(statuses))


def test_the_cli_exits_0_without_problems_and_1_with_one(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(report, "CHECKS", fake_checks("ok", "warn"))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "warn     Check 1" in out and "fix: fix-1" in out
    assert "fix: fix-0" not in out  # an ok check has nothing to fix
    assert "0 problem(s), 1 warning(s)" in out

    monkeypatch.setattr(report, "CHECKS", fake_checks("ok", "problem"))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM  Check 1" in out and "fix: fix-1" in out
    # The detail's further lines stay under the first, indented.
    assert "\n" + " " * 8 in out and "second line" in out


def test_the_cli_prints_json_with_the_same_exit_code(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(report, "CHECKS", fake_checks("problem"))
    assert main(["doctor", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert payload["checks"][0]["id"] == "config"
    assert payload["checks"][1] == {
        "id": "c0",
        "title": "Check 0",
        "status": "problem",
        "detail": "detail 0\nsecond line",
        "fix": "fix-0",
    }


def test_the_cli_reports_missing_ner_and_exits_1(
    tandem_home: TandemPaths, ner_unavailable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--quick"]) == 1
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "Names (NER)" in line]
    assert line.startswith("PROBLEM")
    assert f"fix: {ner.install_command()}" in out


def test_tandem_doctor_runs_as_a_command(tmp_path: Path, tiny_gguf: Path) -> None:
    result = run_tandem("doctor", "--json", "--quick", env=tandem_env(tmp_path, tiny_gguf))
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    statuses = [c["status"] for c in payload["checks"]]
    assert result.returncode == (1 if "problem" in statuses else 0)
    assert payload["ok"] is (result.returncode == 0)
    model = next(c for c in payload["checks"] if c["id"] == "model")
    assert model["status"] == "ok" and "tiny.gguf" in model["detail"]


def test_install_commands_never_name_the_unrelated_pypi_project() -> None:
    for command in (pip_install_command(), pip_install_command("ner", force=True)):
        assert "install tandem" not in command and "'tandem[" not in command
    # The checkout's lock is part of the command, so a fix installs the tested releases.
    assert pip_install_command("ner").endswith("install -c constraints.txt -e '.[ner]'")
    assert "--force-reinstall -c constraints.txt -e ." in pip_install_command(force=True)
