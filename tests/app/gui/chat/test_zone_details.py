"""The chat's badge and detail panel name the trust zone an answer came from.

A runtime preferring the cloud, with an edge marked as the user's (`desk`) and a
rule that keeps project Falcon on the user's devices; the real pipeline decides.
"""

from collections.abc import AsyncIterator

import flet as ft
import pytest

from app.gui.chat.detail.view import TurnDetailPanel
from app.gui.chat.view_model import ChatViewModel
from router.endpoints.fake import FakeEndpoint
from router.paths import TandemPaths
from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.runtime.compose import Runtime, build_runtime
from tests.app.gui.chat.test_details import email_detector
from tests.support.zones import FALCON


@pytest.fixture
async def zoned_runtime(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    monkeypatch.setenv("TANDEM_ROUTING__POLICY", "prefer_remote")
    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "claude": FakeEndpoint(lambda _m: "the cloud answers", name="claude", kind="cloud"),
        "desk": FakeEndpoint(lambda _m: "your desk answers", name="desk", kind="edge", mine=True),
    }
    runtime = build_runtime(tandem_home, endpoints=endpoints)  # type: ignore[arg-type]
    runtime.pipeline.scanner = Scanner(
        rules=build_rules([FALCON]), detectors=[FunctionDetector(email_detector)]
    )
    try:
        yield runtime
    finally:
        await runtime.aclose()


def _texts(panel: TurnDetailPanel) -> list[str]:
    return [str(c.value) for c in panel.body.controls if isinstance(c, ft.Text)]


async def test_an_answer_from_my_edge_says_your_devices(zoned_runtime: Runtime) -> None:
    vm = ChatViewModel(zoned_runtime)
    await vm.send("What is left to do on project Falcon?")
    answer = vm.messages[-1]
    assert answer.text == "your desk answers"
    assert answer.badge == "your devices"
    assert answer.route.startswith("on your devices (desk) · kept on your devices: names a")
    detail = answer.detail
    assert detail is not None
    assert detail.zone.startswith("your devices: desk is an edge you marked as yours")
    assert detail.privacy.startswith("kept on your devices: names a project")
    assert detail.sent[0] == "to desk (edge, zone: your devices)"
    panel = TurnDetailPanel(on_close=lambda: None)
    panel.show(detail)
    texts = _texts(panel)
    assert texts[texts.index("Zone") + 1] == detail.zone


async def test_a_redacted_value_to_my_edge_says_so(zoned_runtime: Runtime) -> None:
    vm = ChatViewModel(zoned_runtime)
    await vm.send("Mail ana.lopez@example.com the project Falcon dates")
    answer = vm.messages[-1]
    assert answer.badge == "redacted → your devices"
    assert answer.detail is not None
    assert answer.detail.privacy.endswith("; redacted even there: EMAIL_ADDRESS")


async def test_other_answers_still_say_cloud(zoned_runtime: Runtime) -> None:
    vm = ChatViewModel(zoned_runtime)
    await vm.send("Mail ana.lopez@example.com about lunch")
    assert vm.messages[-1].badge == "redacted → cloud"
    vm = ChatViewModel(zoned_runtime)  # a new conversation: nothing to redact in it
    await vm.send("What is the boiling point of water?")
    answer = vm.messages[-1]
    assert answer.badge == "cloud" and answer.text == "the cloud answers"
    assert answer.detail is not None and answer.detail.zone == "cloud: claude is a cloud provider"
