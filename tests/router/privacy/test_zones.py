"""Trust zones: the keep_mine action in rules, scans, the egress guard and the outbound check."""

import httpx
import pytest

from router.errors import EgressBlockedError
from router.privacy import egress
from router.privacy.detectors.base import FunctionDetector
from router.privacy.guard import EgressPolicy, guarded_httpx_client
from router.privacy.rules import PrivacyRule, RuleSet, RuleSubject, build_rules
from router.privacy.scan import Scanner
from router.privacy.zones import (
    blocked_values,
    kept_in,
    kept_note,
    may_reach,
    strictest,
    value_may_reach,
)
from router.types import PrivacyReport, ProtectedValue, TurnRequest, Zone, zone_of
from tests.router.privacy.test_scan import fake_detect

FALCON = PrivacyRule(
    name="falcon", keywords=["project Falcon"], action="keep_mine", reason="names a project"
)


def _scanner(*rules: PrivacyRule) -> Scanner:
    return Scanner(rules=build_rules(list(rules)), detectors=[FunctionDetector(fake_detect)])


def _scan(text: str, *rules: PrivacyRule) -> PrivacyReport:
    return _scanner(*rules).scan(TurnRequest(text=text, session_id="s"), [])


def test_zones_of_endpoints() -> None:
    assert zone_of("local") == "device" and zone_of("local", mine=True) == "device"
    assert zone_of("edge", mine=True) == "mine"
    assert zone_of("edge") == "cloud"
    # Only an edge can be the user's own: a provider marked mine is still the cloud.
    assert zone_of("cloud", mine=True) == "cloud"


def test_what_each_action_may_reach() -> None:
    assert [may_reach("keep_local", z) for z in ("device", "mine", "cloud")] == [1, 0, 0]
    assert [may_reach("keep_mine", z) for z in ("device", "mine", "cloud")] == [1, 1, 0]
    assert all(may_reach(a, "cloud") for a in ("redact", "allow"))
    # A redacted value's own text reaches no other device, the user's included.
    assert not value_may_reach("redact", "mine") and value_may_reach("keep_mine", "mine")
    assert not value_may_reach("keep_mine", "cloud")


def test_keep_mine_sits_between_redact_and_keep_local() -> None:
    assert strictest(["allow", "keep_mine", "redact"]) == "keep_mine"
    assert strictest(["keep_mine", "keep_local"]) == "keep_local"
    assert strictest([]) == "allow"
    assert kept_note("keep_mine", "x") == "kept on your devices: x"
    assert kept_note("keep_local", "x") == "kept local: x"


def test_a_keep_mine_rule_decides_the_turn() -> None:
    rules = RuleSet([FALCON])
    keyword = rules.keyword_findings("about project  falcon today")
    assert len(keyword) == 1
    decision = rules.decide(RuleSubject.of(keyword[0]))
    assert decision.action == "keep_mine"
    verdict = rules.verdict([decision])
    assert verdict.action == "keep_mine"
    assert verdict.summary == "kept on your devices: names a project"


def test_keep_mine_on_a_valueless_finding_is_not_allowed() -> None:
    # Unlike redact, keep_mine needs no span: a topic kept on my devices stays there.
    health = PrivacyRule(
        name="health", categories=["health"], action="keep_mine", reason="is about health"
    )
    decision = RuleSet([health]).decide(RuleSubject(type="TOPIC", category="health"))
    assert decision.action == "keep_mine"


def test_scan_of_mixed_findings_keeps_the_turn_on_my_devices() -> None:
    report = _scan("project Falcon mail to Alice Smith", FALCON)
    assert report.action == "keep_mine" and not report.keep_local
    actions = {p.value: p.action for p in report.protected}
    assert actions == {"project Falcon": "keep_mine", "Alice Smith": "redact"}
    assert [p.value for p in report.redact_values] == ["Alice Smith"]


def test_a_card_still_keeps_a_keep_mine_turn_on_this_device() -> None:
    report = _scan("project Falcon card 4111 1111 1111 1111", FALCON)
    assert report.action == "keep_local" and report.keep_local


def test_a_value_both_redacted_and_kept_mine_is_redacted() -> None:
    # The name is a PERSON (redacted by default) and a keyword of a keep_mine rule: its
    # text must reach no other device (redact), and the turn no cloud (keep_mine).
    client = PrivacyRule(
        name="client", keywords=["Alice Smith"], action="keep_mine", reason="is a client"
    )
    report = _scan("write to Alice Smith", client)
    assert report.action == "keep_mine"
    assert [(p.value, p.action) for p in report.protected] == [("Alice Smith", "redact")]
    assert "Alice Smith" in blocked_values(report, "mine")


def test_blocked_values_by_zone() -> None:
    report = _scan("project Falcon mail to Alice Smith", FALCON)
    assert set(blocked_values(report, "cloud")) >= {"project Falcon", "Alice Smith"}
    mine = blocked_values(report, "mine")
    assert "Alice Smith" in mine and "project Falcon" not in mine
    assert blocked_values(report, "device") == ()


def _guarded(policy: EgressPolicy, zone: Zone) -> tuple[httpx.AsyncClient, list[bytes]]:
    sent: list[bytes] = []
    client = guarded_httpx_client(
        policy,
        zone,
        transport=httpx.MockTransport(lambda r: sent.append(r.content) or httpx.Response(200)),
        zone=zone,
    )
    return client, sent


MINE_VALUE = ProtectedValue(type="KEYWORD", value="project Falcon", action="keep_mine")
REDACT_VALUE = ProtectedValue(type="PERSON", value="Alice Smith", action="redact")


async def test_the_guard_lets_keep_mine_values_reach_only_my_devices() -> None:
    policy = EgressPolicy()
    mine, to_mine = _guarded(policy, "mine")
    cloud, to_cloud = _guarded(policy, "cloud")
    with policy.protect([MINE_VALUE, REDACT_VALUE]):
        await mine.post("https://desk.lan/v1", content=b"about project Falcon")
        with pytest.raises(EgressBlockedError):
            await cloud.post("https://api.example/v1", content=b"about project Falcon")
        with pytest.raises(EgressBlockedError):  # a redacted value reaches no device as text
            await mine.post("https://desk.lan/v1", content=b"Alice Smith")
    assert to_mine == [b"about project Falcon"] and to_cloud == []


async def test_a_bare_protected_string_is_blocked_on_my_devices_too() -> None:
    # A string has no action to say it may reach the user's devices: blocked everywhere.
    policy = EgressPolicy()
    mine, sent = _guarded(policy, "mine")
    with policy.protect(["project Falcon"]), pytest.raises(EgressBlockedError):
        await mine.post("https://desk.lan/v1", content=b"project Falcon")
    assert sent == []


def test_the_outbound_check_follows_the_zone() -> None:
    report = _scan("project Falcon mail to Alice Smith", FALCON)
    payload = b'{"content": "project Falcon mail to [PERSON_1]"}'
    egress.check_outbound(payload, report, zone="mine")
    with pytest.raises(EgressBlockedError):
        egress.check_outbound(payload, report)
    with pytest.raises(EgressBlockedError):
        egress.check_outbound(b"Alice Smith", report, zone="mine")


def test_a_kept_turn_stays_in_the_farthest_zone_its_action_may_reach() -> None:
    assert kept_in("keep_mine") == "mine"
    assert kept_in("keep_local") == "device"
