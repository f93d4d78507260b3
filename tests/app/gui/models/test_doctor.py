"""The Models section shows `tandem doctor`'s report, against the running app's settings."""

from __future__ import annotations

import sys

import flet as ft
import pytest

from app.doctor import Check
from app.gui.models.endpoints.view import EndpointsPanel
from app.gui.models.endpoints.view_model import EndpointsViewModel
from app.gui.models.view import ModelsView
from app.gui.models.view_model import ModelsViewModel
from router.endpoints.fake import FakeEndpoint
from router.privacy.detectors import ner
from router.runtime.save import save_and_apply
from tests.app.conftest import RuntimeFactory


def texts(control: ft.Control) -> list[str]:
    """Every Text value under `control`, depth first."""
    found = [control.value] if isinstance(control, ft.Text) and control.value else []
    for child in getattr(control, "controls", None) or []:
        found += texts(child)
    return found


async def test_the_setup_check_runs_off_the_loop_and_shows_ner_missing_with_its_fix(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ner.NER_PACKAGES:
        monkeypatch.setitem(sys.modules, module, None)
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ModelsViewModel(runtime)
        seen: list[bool] = []
        vm.on_change = lambda: seen.append(vm.checking)
        assert vm.setup_summary() == "not checked yet"

        checks = await vm.check_setup()

        assert seen == [True, False]  # the view showed the check running, then its result
        assert vm.checks == checks
        [check] = [c for c in checks if c.id == "ner"]
        assert check.status == "problem" and check.fix == ner.install_command()
        assert vm.setup_summary().startswith("1 problem(s)")
        # The running app's settings are the ones checked, not a re-read of the file.
        assert checks[0].detail.startswith("in use")

        view = ModelsView(None, vm, EndpointsPanel(EndpointsViewModel(runtime)))
        view.render()
        shown = texts(view.setup_list)
        assert "Names (NER)" in shown
        assert f"fix: {ner.install_command()}" in shown
        assert view.setup_summary.value == vm.setup_summary()


async def test_switching_ner_off_in_the_app_clears_the_problem(
    fake_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ner.NER_PACKAGES:
        monkeypatch.setitem(sys.modules, module, None)
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ModelsViewModel(runtime)
        save_and_apply(runtime, {"privacy": {"ner": False}})
        checks = await vm.check_setup()
        [check] = [c for c in checks if c.id == "ner"]
        assert check.status == "ok" and "off in your settings" in check.detail


async def test_an_ok_check_shows_no_fix(fake_runtime: RuntimeFactory) -> None:
    async with fake_runtime(FakeEndpoint(name="local", kind="local")) as runtime:
        vm = ModelsViewModel(runtime)
        vm.checks = [Check("x", "Thing", "ok", "fine", "never shown")]
        view = ModelsView(None, vm, EndpointsPanel(EndpointsViewModel(runtime)))
        view.render()
        shown = texts(view.setup_list)
        assert "Thing" in shown and "fine" in shown
        assert not any(t.startswith("fix:") for t in shown)
        assert vm.setup_summary() == "everything looks fine"
