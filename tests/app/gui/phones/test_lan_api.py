"""Where the Phones section finds the real LAN service, and a build without one."""

from __future__ import annotations

import sys
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from app.gui.phones import lan_api
from app.gui.phones.lan_api import LAN_SERVICE_MODULE, lan_service_for
from router import Runtime
from tests.app.gui.phones.fake_lan import FakeLanService

RUNTIME: Any = SimpleNamespace(name="a runtime")


def test_the_real_service_is_the_runtime_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    service = FakeLanService()
    asked: list[Runtime] = []

    class LanService:
        @classmethod
        def for_runtime(cls, runtime: Runtime) -> FakeLanService:
            asked.append(runtime)
            return service

    module = ModuleType(LAN_SERVICE_MODULE)
    module.LanService = LanService  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, LAN_SERVICE_MODULE, module)

    assert lan_service_for(RUNTIME) is service and asked == [RUNTIME]


def test_a_build_without_app_lan_has_no_service(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail as if the package were not there.
    monkeypatch.setitem(sys.modules, LAN_SERVICE_MODULE, None)
    assert lan_service_for(RUNTIME) is None


def test_a_dependency_missing_inside_app_lan_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> ModuleType:
        raise ModuleNotFoundError("No module named 'qrcode'", name="qrcode")

    monkeypatch.setattr(lan_api.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):
        lan_service_for(RUNTIME)
