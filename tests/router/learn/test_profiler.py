"""The profiler's way out (`ProfileEgress`): scan, keep local, redact, guard, record.

The wire-level run through the CLI, with a guarded HTTP client, is in
tests/app/cli/test_router_profile.py; these cover the branches one by one.
"""

from __future__ import annotations

import asyncio

import pytest

from router.endpoints.fake import FakeEndpoint
from router.errors import EndpointRequestError
from router.learn.profile_egress import ProfileEgress, SentProfileRequest
from router.learn.profiler import PromptItem, exact_judge, model_judge, profile_endpoints
from router.privacy.detectors.base import FunctionDetector
from router.privacy.guard import EgressPolicy
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Message
from tests.router.privacy.test_scan import fake_detect

CARD = "4111 1111 1111 1111"
EMAIL = "alice@example.org"


def _egress(sent: list[SentProfileRequest], detect: object = fake_detect) -> ProfileEgress:
    scanner = Scanner(detectors=[FunctionDetector(detect)])  # type: ignore[arg-type]
    return ProfileEgress(scanner, EgressPolicy(), record=sent.append)


def _last(messages: list[Message]) -> str:
    return messages[-1].content


def _wire(endpoint: FakeEndpoint) -> str:
    return "\n".join(m.content for request in endpoint.requests for m in request)


def test_a_redacted_answer_is_restored_before_it_is_judged() -> None:
    sent: list[SentProfileRequest] = []
    cloud = FakeEndpoint(_last, name="cloud", kind="cloud")  # echoes the placeholder
    item = PromptItem(id="q", prompt=EMAIL, reference=EMAIL)
    egress = _egress(sent)
    (record,) = asyncio.run(profile_endpoints([item], {"cloud": cloud}, exact_judge, egress))
    assert _wire(cloud) == "[EMAIL_ADDRESS_1]"
    assert record.endpoints["cloud"].quality == 1.0
    assert [r.messages[0].content for r in sent] == ["[EMAIL_ADDRESS_1]"]
    assert egress.counts.redacted == {"q"} and egress.counts.sent == 1


def test_a_kept_local_prompt_is_answered_and_judged_on_the_device() -> None:
    sent: list[SentProfileRequest] = []
    local = FakeEndpoint(lambda _m: "10", name="local", kind="local")
    cloud = FakeEndpoint(lambda _m: "10", name="cloud", kind="cloud")
    item = PromptItem(id="q", prompt=f"card {CARD}")
    egress = _egress(sent)
    endpoints = {"local": local, "cloud": cloud}
    judge = model_judge(local, egress)
    (record,) = asyncio.run(profile_endpoints([item], endpoints, judge, egress))
    assert set(record.endpoints) == {"local"} and record.endpoints["local"].quality == 1.0
    assert cloud.requests == [] and sent == []
    assert egress.counts.kept_local == {"q"}


def test_a_value_the_scan_missed_is_stopped_by_the_guard() -> None:
    sent: list[SentProfileRequest] = []
    cloud = FakeEndpoint(_last, name="cloud", kind="cloud")
    local = FakeEndpoint(_last, name="local", kind="local")
    item = PromptItem(id="q", prompt="launch code 1234-5678", reference="x")
    egress = _egress(sent, detect=lambda _text: [])
    # Protected by hand, as a turn in flight would: the guard is the backstop.
    with egress.egress.protect(["1234-5678"]):
        (record,) = asyncio.run(
            profile_endpoints([item], {"cloud": cloud, "local": local}, exact_judge, egress)
        )
    assert set(record.endpoints) == {"local"}
    assert cloud.requests == [] and sent == []
    assert egress.counts.blocked == {"q"}


def test_an_endpoint_failure_is_not_taken_for_a_block() -> None:
    def fail(_messages: list[Message]) -> str:
        raise EndpointRequestError("cloud refused", "check the key")

    cloud = FakeEndpoint(fail, name="cloud", kind="cloud")
    item = PromptItem(id="q", prompt="hello", reference="x")
    with pytest.raises(EndpointRequestError):
        asyncio.run(profile_endpoints([item], {"cloud": cloud}, exact_judge, _egress([])))


def test_a_keep_mine_prompt_is_profiled_on_my_edge_but_not_the_cloud() -> None:
    sent: list[SentProfileRequest] = []
    falcon = PrivacyRule(
        name="falcon", keywords=["project Falcon"], action="keep_mine", reason="a project"
    )
    scanner = Scanner(rules=build_rules([falcon]), detectors=[FunctionDetector(fake_detect)])
    egress = ProfileEgress(scanner, EgressPolicy(), record=sent.append)
    cloud = FakeEndpoint(_last, name="cloud", kind="cloud")
    desk = FakeEndpoint(_last, name="desk", kind="edge", mine=True)
    item = PromptItem(id="q", prompt="the project Falcon budget", reference="x")
    endpoints = {"cloud": cloud, "desk": desk}
    (record,) = asyncio.run(profile_endpoints([item], endpoints, exact_judge, egress))
    assert set(record.endpoints) == {"desk"}
    assert cloud.requests == [] and _wire(desk) == "the project Falcon budget"
    assert [r.endpoint for r in sent] == ["desk"] and egress.counts.kept_local == {"q"}
