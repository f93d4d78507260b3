"""Battery, charging and network change routes, with a stated reason; privacy still wins.

Sensors are fakes: each test says what the battery and the network read.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from router.policy import resources as resources_module
from router.policy.decide import PreferRemotePolicy
from router.policy.features import TurnFeatures
from router.policy.resource_rules import (
    decide_with_resources,
    resource_cuts,
)
from router.policy.resources import (
    LOW_BATTERY_PERCENT,
    ResourceSensors,
    ResourceState,
    psutil_battery,
    psutil_online,
)
from router.turn.route import enforce_privacy
from router.types import Attachment, PrivacyReport
from tests.router.policy.helpers import (
    HARD_QUESTION,
    all_policies,
    endpoints,
    features_for,
    keep_local_report,
    request,
)
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen

EASY = "hi, how are you?"
HARD_MATH = "Prove rigorously that the integral of x^2 e^-x from 0 to infinity is 2."
LOW = ResourceState(battery_percent=12.0, charging=False)
OFFLINE = ResourceState(network="offline")
METERED = ResourceState(network="metered")


def _features(
    text: str,
    resources: ResourceState,
    attachments: tuple[Attachment, ...] = (),
    report: PrivacyReport | None = None,
) -> TurnFeatures:
    feats = features_for(request(text, attachments), endpoints(), report=report)
    return feats.__class__(**{**feats.__dict__, "resources": resources})


def _photos() -> tuple[Attachment, ...]:
    return tuple(
        Attachment(name=f"scan_{i}.jpg", mime_type="image/jpeg", size_bytes=400_000)
        for i in range(3)
    )


# --- battery --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["learned", "budget", "cascade", "rules"])
def test_low_battery_moves_a_long_device_generation_off_the_device(name: str) -> None:
    policy = all_policies()[name]
    assert policy.decide(_features(EASY, ResourceState())).endpoint == "local"
    decision = decide_with_resources(policy, _features(EASY, LOW))
    assert decision.endpoint == "claude"
    assert "battery 12% and not charging: local skipped" in decision.reason


def test_a_charging_or_full_enough_battery_changes_nothing() -> None:
    policy = all_policies()["learned"]
    for state in (
        ResourceState(battery_percent=12.0, charging=True),
        ResourceState(battery_percent=LOW_BATTERY_PERCENT + 1, charging=False),
        ResourceState(battery_percent=None, charging=None),  # no battery at all
    ):
        decision = decide_with_resources(policy, _features(EASY, state))
        assert decision.endpoint == "local" and "battery" not in decision.reason


def test_the_local_only_policy_keeps_its_route_on_a_low_battery_without_a_note() -> None:
    decision = decide_with_resources(all_policies()["local"], _features(EASY, LOW))
    assert decision.endpoint == "local" and "battery" not in decision.reason


# --- network --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["prefer_remote", "learned", "budget", "cascade", "rules"])
def test_offline_routes_locally_and_says_so(name: str) -> None:
    policy = all_policies()[name]
    online = policy.decide(_features(HARD_MATH, ResourceState()))
    assert "claude" in (online.endpoint, online.escalate_to)  # cascade: local, escalating
    decision = decide_with_resources(policy, _features(HARD_MATH, OFFLINE))
    assert decision.endpoint == "local"
    assert decision.escalate_to is None
    assert "offline: claude skipped without waiting" in decision.reason


@pytest.mark.parametrize("name", ["prefer_remote", "learned"])
def test_a_metered_link_keeps_a_large_upload_on_the_device(name: str) -> None:
    policy = all_policies()[name]
    text = "Is there a scratch on any of these?"
    assert policy.decide(_features(text, ResourceState(), _photos())).endpoint == "claude"
    decision = decide_with_resources(policy, _features(text, METERED, _photos()))
    assert decision.endpoint == "local"
    assert "metered network: claude skipped (about 1200 kB to upload)" in decision.reason


def test_a_metered_link_still_sends_a_small_turn() -> None:
    feats = _features(HARD_QUESTION, METERED)
    assert resource_cuts(feats) == []
    decision = decide_with_resources(PreferRemotePolicy(), feats)
    assert decision.endpoint == "claude" and "metered" not in decision.reason


def test_a_large_metered_upload_outweighs_a_low_battery() -> None:
    both = ResourceState(battery_percent=5.0, charging=False, network="metered")
    decision = decide_with_resources(all_policies()["learned"], _features(EASY, both, _photos()))
    assert decision.endpoint == "local" and "metered network" in decision.reason


# --- privacy --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["prefer_remote", "learned", "budget", "cascade", "rules"])
def test_a_kept_local_turn_stays_local_on_a_low_battery(name: str) -> None:
    report = keep_local_report()
    feats = _features(EASY, LOW, report=report)
    assert resource_cuts(feats) == []  # the battery never argues for the cloud here
    req = request(EASY)
    decision = enforce_privacy(
        req, report, decide_with_resources(all_policies()[name], feats), endpoints()
    )
    assert decision.endpoint == "local" and "kept local" in decision.reason


async def test_pipeline_keeps_a_kept_local_turn_local_on_a_low_battery(tmp_path: Path) -> None:
    eps = endpoints()
    sensors = ResourceSensors(battery=lambda: (3.0, False), online=lambda: True)
    pipeline = make_pipeline(
        tmp_path, endpoints=eps, policy=PreferRemotePolicy(), resources=sensors
    )
    events = await collect(pipeline, "my HIV test came back and I feel awful, what now?")
    route = route_chosen(events).decision
    assert route.endpoint == "local" and "kept local" in route.reason
    assert eps["claude"].calls == []


async def test_pipeline_offline_answers_on_the_device_without_trying_the_cloud(
    tmp_path: Path,
) -> None:
    eps = endpoints()
    sensors = ResourceSensors(battery=lambda: (None, None), online=lambda: False)
    pipeline = make_pipeline(
        tmp_path, endpoints=eps, policy=PreferRemotePolicy(), resources=sensors
    )
    events = await collect(pipeline, "what is the capital of France?")
    route = route_chosen(events).decision
    assert route.endpoint == "local" and "offline: claude skipped" in route.reason
    assert finished(events).turn.status == "complete"
    assert eps["claude"].calls == []  # no request, so no timeout to wait for


# --- sensors --------------------------------------------------------------------------


def test_sensors_read_the_network_from_the_setting_and_the_probe() -> None:
    battery = lambda: (50.0, True)  # noqa: E731
    assert ResourceSensors(battery, lambda: True, metered=True).read().network == "metered"
    assert ResourceSensors(battery, lambda: None).read().network == "unmetered"
    assert ResourceSensors(battery, lambda: False, metered=True).read().network == "offline"


def test_psutil_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources_module, "_psutil", lambda: None)
    assert psutil_battery() == (None, None)
    assert psutil_online() is None
    assert ResourceSensors().read() == ResourceState()


def test_psutil_battery_and_interfaces_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    addr = lambda ip: SimpleNamespace(family=socket.AF_INET, address=ip)  # noqa: E731
    fake = SimpleNamespace(
        sensors_battery=lambda: SimpleNamespace(percent=17, power_plugged=False),
        net_if_stats=lambda: {
            "lo": SimpleNamespace(isup=True),
            "wlan0": SimpleNamespace(isup=False),
        },
        net_if_addrs=lambda: {"lo": [addr("127.0.0.1")], "wlan0": [addr("192.168.1.5")]},
    )
    monkeypatch.setattr(resources_module, "_psutil", lambda: fake)
    state = ResourceSensors().read()
    assert state == ResourceState(battery_percent=17.0, charging=False, network="offline")
    assert state.low_battery
    fake.net_if_stats = lambda: {"wlan0": SimpleNamespace(isup=True)}
    assert psutil_online() is True
