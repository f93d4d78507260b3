"""packaging/check_mobile_deps.py: the phone app's dependencies against the mobile wheels.

pip resolves fixture apps offline from wheels built here (`--no-index --find-links`): pure
ones, and "compiled" ones tagged for this machine's platform as a phone's would be for its.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest
from packaging.tags import sys_tags

from tests.packaging.builders import load_builder

PLATFORM_TAG = str(next(iter(sys_tags())))  # the most specific tag this interpreter takes
WHEELS_LIST = """\
[source]
repository = "https://github.com/flet-dev/mobile-forge"
commit = "0123456789abcdef0123456789abcdef01234567"
date = "2026-01-01T00:00:00+00:00"

[packages]
fastlib = ["1.0"]
llama-cpp-python = ["0.3.32"]

[earlier]
oldlib = ["1.0"]
"""


def make_wheel(
    folder: Path, name: str, version: str, tag: str = "py3-none-any", requires: Iterable[str] = ()
) -> None:
    """A minimal wheel: the metadata pip's resolver reads, no code."""
    dist = f"{name.replace('-', '_')}-{version}"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    extras = sorted({r.split('extra == "')[1].rstrip('"') for r in requires if "extra ==" in r})
    metadata += "".join(f"Provides-Extra: {extra}\n" for extra in extras)
    pure = "true" if tag.endswith("-any") else "false"
    wheel = f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"
    with zipfile.ZipFile(folder / f"{dist}-{tag}.whl", "w") as archive:
        archive.writestr(f"{dist}.dist-info/METADATA", metadata)
        archive.writestr(f"{dist}.dist-info/WHEEL", wheel)
        archive.writestr(f"{dist}.dist-info/RECORD", "")


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    return load_builder("check_mobile_deps")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    make_wheel(folder, "appcore", "1.0", requires=["fastlib"])
    make_wheel(folder, "fastlib", "1.0", PLATFORM_TAG)
    make_wheel(folder, "fastlib", "2.0", PLATFORM_TAG)
    make_wheel(folder, "rawlib", "1.0", PLATFORM_TAG)
    make_wheel(folder, "duallib", "1.0", PLATFORM_TAG)
    make_wheel(folder, "duallib", "1.0")  # a pure wheel beside the compiled one
    make_wheel(folder, "chromadb", "1.0")
    make_wheel(folder, "bigapp", "1.0", requires=["chromadb"])
    make_wheel(folder, "needsold", "1.0", requires=["fastlib==1.0"])
    make_wheel(folder, "oldlib", "1.0", PLATFORM_TAG)  # only an earlier recipe built it
    make_wheel(folder, "signer", "1.0", requires=['rawlib; extra == "crypto"'])
    make_wheel(folder, "optlib", "1.0", requires=['rawlib; extra == "never"'])
    make_wheel(folder, "llama-cpp-python", "0.3.32", PLATFORM_TAG)
    make_wheel(folder, "llama-cpp-python", "0.4.0", PLATFORM_TAG)
    (folder / "mobile_wheels.toml").write_text(WHEELS_LIST, encoding="utf-8")
    return folder


def run(
    checker: ModuleType,
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pyproject: str,
) -> tuple[int, str]:
    path = tmp_path / "pyproject.toml"
    path.write_text(pyproject, encoding="utf-8")
    args = ["--pyproject", str(path), "--wheels", str(index / "mobile_wheels.toml")]
    status = checker.main([*args, "--no-index", "--find-links", str(index)])
    return status, capsys.readouterr().out


def app(*dependencies: str, extra: str = "") -> str:
    listed = ", ".join(f'"{d}"' for d in dependencies)
    return f'[project]\nname = "app"\nversion = "1"\ndependencies = [{listed}]\n{extra}'


def row(output: str, name: str) -> list[str]:
    """The table row of a package, split on runs of two spaces."""
    line = next(line for line in output.splitlines() if line.startswith(f"{name} "))
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


def test_pure_and_listed_compiled_packages_pass(checker, index, tmp_path, capsys) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("appcore", "fastlib==1.0", "duallib"))
    assert status == 0, out
    assert row(out, "appcore") == ["appcore", "1.0", "pure py3-none-any"]
    assert row(out, "fastlib")[1:] == ["1.0", f"compiled {PLATFORM_TAG}", "recipe 1.0"]
    # pip chose the platform wheel here; the phone takes the pure one.
    assert row(out, "duallib")[2] == "pure py3-none-any (compiled wheels too)"
    assert "android and ios: 3 packages" in out
    assert out.rstrip().endswith("nothing heavy.")


def test_a_compiled_package_without_a_recipe_fails(checker, index, tmp_path, capsys) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("appcore", "rawlib"))
    assert status == 1
    assert row(out, "rawlib")[-1] == "no recipe"
    offenders = [line for line in out.splitlines() if line.startswith("android and ios: no")]
    assert offenders == [
        "android and ios: no mobile wheel: rawlib 1.0 is compiled and mobile-forge has no "
        "recipe for it."
    ]


def test_a_heavy_package_fails_and_names_what_pulls_it_in(checker, index, tmp_path, capsys) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("bigapp"))
    assert status == 1
    assert "heavy: chromadb 1.0 (from bigapp) must not be in the phone app" in out


def test_an_offender_names_what_requires_it_through_extras_asked_for(
    checker, index, tmp_path, capsys
) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("signer[crypto]", "optlib"))
    assert status == 1
    assert "no mobile wheel: rawlib 1.0 (from signer) is compiled" in out  # not optlib


OPTIONAL_LLAMA = '[project.optional-dependencies]\nlocal-model = ["llama-cpp-python==0.3.32"]\n'


def test_llama_cpp_is_heavy_unless_an_optional_group_lists_it(
    checker, index, tmp_path, capsys
) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("llama-cpp-python==0.3.32"))
    assert status == 1
    assert "heavy: llama-cpp-python 0.3.32 must not be in the phone app unless" in out
    # Added to the Android build by hand, and declared optional: the app loads it if there.
    extra = '[tool.flet.android]\ndependencies = ["llama-cpp-python==0.3.32"]\n' + OPTIONAL_LLAMA
    status, out = run(checker, index, tmp_path, capsys, app("appcore", "fastlib==1.0", extra=extra))
    assert status == 0, out
    assert row(out, "llama-cpp-python")[-1] == "recipe 0.3.32"


def test_an_optional_group_is_resolved_as_if_added(checker, index, tmp_path, capsys) -> None:
    extra = '[project.optional-dependencies]\nlocal-model = ["llama-cpp-python"]\n'
    status, out = run(checker, index, tmp_path, capsys, app("fastlib==1.0", extra=extra))
    assert status == 1
    assert "android and ios: 1 package\n" in out
    # The group's table holds only what it adds.
    assert "android and ios + optional local-model: 1 more package\n" in out
    assert [line.split()[0] for line in out.splitlines() if " compiled " in line] == [
        "fastlib",
        "llama-cpp-python",
    ]
    assert out.splitlines()[-1] == (
        "android and ios + optional local-model: version: llama-cpp-python 0.4.0 has mobile "
        "wheels only for 0.3.32; pin a listed version."
    )


def test_only_llama_cpp_may_be_optional(checker, index, tmp_path, capsys) -> None:
    extra = '[project.optional-dependencies]\nmemory = ["chromadb"]\n'
    status, out = run(checker, index, tmp_path, capsys, app("chromadb", extra=extra))
    assert status == 1
    assert "android and ios: heavy: chromadb 1.0 must not be in the phone app;" in out


def test_a_version_without_a_recipe_is_flagged_with_the_versions_there_are(
    checker, index, tmp_path, capsys
) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("appcore"))  # newest fastlib: 2.0
    assert status == 1
    assert row(out, "fastlib")[-1] == "only 1.0"
    assert "version: fastlib 2.0 (from appcore) has mobile wheels only for 1.0;" in out


def test_platform_dependencies_are_added_for_their_platform_only(
    checker, index, tmp_path, capsys
) -> None:
    extra = '[tool.flet.android]\ndependencies = ["rawlib"]\n'
    status, out = run(checker, index, tmp_path, capsys, app("fastlib==1.0", extra=extra))
    assert status == 1
    assert "android: 2 packages" in out and "ios: 1 package\n" in out
    assert [line for line in out.splitlines() if "rawlib 1.0 is compiled" in line] == [
        "android: no mobile wheel: rawlib 1.0 is compiled and mobile-forge has no recipe for it."
    ]


def test_an_unresolvable_requirement_is_one_sentence(checker, index, tmp_path, capsys) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("nosuchlib"))
    assert status == 2
    assert out.strip().splitlines()[-1] == (
        "pip could not resolve the phone app's dependencies: "
        "No matching distribution found for nosuchlib"
    )


def test_a_conflict_names_the_requirements_that_clash(checker, index, tmp_path, capsys) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("fastlib==2.0", "needsold"))
    assert status == 2
    assert out.strip().splitlines()[-1] == (
        "pip could not resolve the phone app's dependencies: conflicting requirements: "
        "The user requested fastlib==2.0; needsold 1.0 depends on fastlib==1.0"
    )


def test_a_long_conflict_is_cut_to_four_distinct_causes() -> None:
    pip = load_builder("mobile_deps_pip")
    requested = "The user requested a==1"
    causes = [f"b {v} depends on a=={v}" for v in ("2", "1.9", "1.8", "1.7")]
    output = ["Collecting b", "The conflict is caused by:", requested, causes[0], requested]
    output += [*causes[1:], "", "To fix this you could try to:"]
    assert pip.conflict_summary(output) == (
        "conflicting requirements: The user requested a==1; b 2 depends on a==2; "
        "b 1.9 depends on a==1.9; b 1.8 depends on a==1.8; and 1 more"
    )


def test_a_missing_pyproject_says_what_to_pass(checker, tmp_path, capsys) -> None:
    assert checker.main(["--pyproject", str(tmp_path / "none.toml")]) == 2
    assert "pass the app's pyproject.toml with --pyproject" in capsys.readouterr().out


def test_a_release_only_an_earlier_recipe_built_passes_with_a_warning(
    checker, index, tmp_path, capsys
) -> None:
    status, out = run(checker, index, tmp_path, capsys, app("oldlib"))
    assert status == 0, out
    assert row(out, "oldlib")[-1] == "earlier recipe 1.0 (now no recipe)"
    assert "android and ios: earlier recipe: oldlib 1.0 was built by an earlier" in out


def test_a_source_only_package_needs_a_recipe_or_source_packages(checker) -> None:
    rules = load_builder("mobile_deps_rules")
    none = rules.MobileWheels({}, {}, "")
    sdist = checker.Resolved("slowlib", "1.0", "slowlib-1.0.tar.gz", "sdist")
    assert sdist.describe() == "sdist (needs a build)"
    message = rules.offence(sdist, rules.Policy(none, set(), set()))
    assert "list it in [tool.flet].source_packages" in message
    assert rules.offence(sdist, rules.Policy(none, set(), {"slowlib"})) is None  # declared
    # A recipe's version wins over building from source: the phone gets Flet's wheel.
    recipe = rules.Policy(rules.MobileWheels({"slowlib": ["0.9"]}, {}, ""), set(), {"slowlib"})
    assert "version: slowlib 1.0 has mobile wheels only for 0.9" in rules.offence(sdist, recipe)
    pyproject = {"tool": {"flet": {"source_packages": ["SlowLib"], "ios": {"source_packages": []}}}}
    assert checker.source_packages(pyproject, "android") == {"slowlib"}
    assert checker.source_packages(pyproject, "ios") == set()  # the platform's list wins


def test_a_wheel_file_name_says_pure_or_compiled() -> None:
    pip = load_builder("mobile_deps_pip")
    assert pip.file_kind("a-1.0-py2.py3-none-any.whl") == "pure"
    assert pip.file_kind("a-1.0-cp312-cp312-android_24_arm64_v8a.whl") == "compiled"
    assert pip.file_kind("a-1.0.tar.gz") == "sdist"
    assert pip.file_kind("a-1.0.zip") == "sdist"
