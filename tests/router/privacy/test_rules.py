from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import PrivacyRule, RuleSet, RuleSubject, build_rules, default_rules
from router.privacy.scan import Scanner
from router.types import TurnRequest


def _rule(name: str, action: str, **criteria: list[str]) -> PrivacyRule:
    return PrivacyRule(name=name, action=action, reason=f"because {name}", **criteria)  # type: ignore[arg-type]


def test_first_matching_rule_wins() -> None:
    rules = RuleSet([_rule("a", "allow", types=["EMAIL_ADDRESS"]), _rule("b", "keep_local")])
    decision = rules.decide(RuleSubject(type="EMAIL_ADDRESS"))
    assert decision.action == "allow" and decision.rule is not None and decision.rule.name == "a"
    assert rules.decide(RuleSubject(type="PERSON")).action == "keep_local"


def test_every_non_empty_criterion_must_match() -> None:
    rule = _rule("r", "keep_local", types=["PERSON"], paths=["/secret/*"], sessions=["s1"])
    rules = RuleSet([rule])
    assert rules.decide(RuleSubject("PERSON", path="/secret/a.txt", session_id="s1")).rule
    assert rules.decide(RuleSubject("PERSON", path="/public/a.txt", session_id="s1")).rule is None
    assert rules.decide(RuleSubject("PERSON", path="/secret/a.txt", session_id="s2")).rule is None
    assert rules.decide(RuleSubject("PERSON", session_id="s1")).rule is None


def test_mcp_criteria_and_disabled_rules() -> None:
    rules = RuleSet(
        [
            PrivacyRule(name="off", enabled=False, action="allow", reason="x"),
            _rule("mail", "keep_local", mcp_servers=["mail"], mcp_tools=["read"]),
        ]
    )
    assert rules.decide(RuleSubject("TOOL_RESULT", mcp_server="mail", mcp_tool="read")).action == (
        "keep_local"
    )
    assert rules.decide(RuleSubject("TOOL_RESULT", mcp_server="web", mcp_tool="read")).rule is None


def test_turn_action_is_the_strictest() -> None:
    rules = build_rules()
    decisions = [
        rules.decide(RuleSubject("PERSON")),
        rules.decide(RuleSubject("CREDIT_CARD")),
        rules.decide(RuleSubject("EMAIL_ADDRESS")),
    ]
    verdict = rules.verdict(decisions)
    assert verdict.action == "keep_local"
    assert verdict.summary == "kept local: contains a card number"
    only_name = rules.verdict([rules.decide(RuleSubject("PERSON"))])
    assert only_name.action == "redact"
    assert only_name.summary == "redacted then sent: contains a name"
    assert rules.verdict([]).action == "allow"


def test_user_rules_come_before_defaults() -> None:
    rules = build_rules([_rule("cards-ok", "allow", types=["CREDIT_CARD"])])
    assert rules.decide(RuleSubject("CREDIT_CARD")).action == "allow"
    assert build_rules().decide(RuleSubject("CREDIT_CARD")).action == "keep_local"


def test_redacting_a_topic_means_allowing_it() -> None:
    rules = RuleSet([_rule("t", "redact", types=["TOPIC"])])
    assert rules.decide(RuleSubject("TOPIC", category="finances")).action == "allow"


def test_defaults_cover_the_documented_types() -> None:
    rules = build_rules()
    for type_ in ("API_KEY", "PRIVATE_KEY", "JWT", "PASSWORD", "HIGH_ENTROPY_TOKEN", "IBAN_CODE"):
        assert rules.decide(RuleSubject(type_)).action == "keep_local"
    for type_ in ("US_SSN", "PASSPORT", "DRIVER_LICENSE", "IMAGE"):
        assert rules.decide(RuleSubject(type_)).action == "keep_local"
    for category in ("health", "sexual_orientation", "religion", "minors"):
        assert rules.decide(RuleSubject("TOPIC", category=category)).action == "keep_local"
    for type_ in ("EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "LOCATION", "STREET_ADDRESS"):
        assert rules.decide(RuleSubject(type_)).action == "redact"
    for type_ in ("DATE_OF_BIRTH", "IP_ADDRESS", "ORGANIZATION"):
        assert rules.decide(RuleSubject(type_)).action == "redact"
    assert rules.decide(RuleSubject("TOPIC", category="finances")).action == "allow"
    assert all(r.reason for r in default_rules())


def test_a_keyword_rule_keeps_a_project_on_the_device() -> None:
    falcon = PrivacyRule(
        name="falcon", keywords=["project Falcon"], action="keep_local",
        reason="is about project Falcon",
    )  # fmt: skip
    scanner = Scanner(rules=build_rules([falcon]), detectors=[FunctionDetector(lambda text: [])])
    report = scanner.scan(
        TurnRequest(text="Draft the PROJECT  falcon launch memo", session_id="s"), []
    )
    assert report.keep_local and report.rule == "falcon"
    assert report.reason == "is about project Falcon"
    assert "PROJECT  falcon" in report.local_only_values
    clean = scanner.scan(TurnRequest(text="falconry is an old sport", session_id="s"), [])
    assert not clean.keep_local


def test_camera_pictures_stay_on_the_device_by_default() -> None:
    rules = build_rules()
    camera = rules.decide(RuleSubject("TOOL_RESULT", mcp_server="camera", mcp_tool="capture"))
    assert camera.action == "keep_local" and camera.rule is not None
    assert camera.rule.name == "camera"
    # Other servers' results are judged by their content, not kept local wholesale.
    assert (
        rules.decide(RuleSubject("TOOL_RESULT", mcp_server="sensors", mcp_tool="battery")).rule
        is None
    )
