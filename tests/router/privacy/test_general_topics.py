"""General questions about sensitive topics may use the cloud; the user's own matter may not."""

from __future__ import annotations

import pytest

from router.privacy.general import general_category, mark_general_topics, topic_of
from router.privacy.rules import PrivacyRule, RuleSet, default_rules
from router.privacy.scan import Scanner
from router.types import Finding, TurnRequest


def _scan(text: str, rules: RuleSet | None = None) -> tuple[str, str]:
    scanner = Scanner() if rules is None else Scanner(rules=rules)
    report = scanner.scan(TurnRequest(session_id="s", text=text), [])
    return report.action, report.rule


@pytest.mark.parametrize(
    "text",
    [
        "What causes type 2 diabetes?",
        "Which elephant-headed Hindu deity is often described as the most beloved?",
        "Explain how chemotherapy works, in three sentences.",
        "When did World War I end, and how many soldiers came home with PTSD?",  # "I": numeral
    ],
)
def test_a_general_question_about_a_sensitive_topic_may_use_the_cloud(text: str) -> None:
    action, rule = _scan(text)
    assert action != "keep_local" and rule != "health"


@pytest.mark.parametrize(
    "text",
    [
        "My diabetes is back, what should I eat?",
        "What should we do about our son's autism diagnosis?",
        "How do I tell my boss about the surgery?",
        "Can my neighbour's chemotherapy make her tired?",
        "Does Tom Hargreaves need insulin after the surgery?",  # a person who is not public
        "Is a biopsy painful? Reply to tom@example.com",  # an identifier
        "is my religion a problem for a church wedding",
    ],
)
def test_the_users_own_matter_stays_on_the_device(text: str) -> None:
    action, _ = _scan(text)
    assert action == "keep_local"


def test_a_users_own_rule_for_the_topic_still_keeps_general_questions_local() -> None:
    mine = PrivacyRule(
        name="all-health",
        types=["TOPIC"],
        categories=["health"],
        action="keep_local",
        reason="my choice",
    )
    action, rule = _scan("What causes type 2 diabetes?", RuleSet([mine, *default_rules()]))
    assert (action, rule) == ("keep_local", "all-health")


def test_only_topic_findings_change_category() -> None:
    text = "What is a mortgage?"
    findings = [
        Finding(type="TOPIC", category="finances", start=10, end=18, confidence=0.5, detector="t"),
        Finding(type="NAME_LIKE", start=0, end=4, confidence=0.3, detector="names"),
    ]
    marked = mark_general_topics(text, findings)
    assert [f.category for f in marked] == ["general:finances", ""]
    assert topic_of(marked[0].category) == "finances" == topic_of("finances")
    assert general_category("health") == "general:health"
