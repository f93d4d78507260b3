"""The name-like detector: the recall net behind NER for redaction."""

from __future__ import annotations

import pytest

from router.privacy.detectors.names import NAME_LIKE, UNCHECKED_SCRIPT, NameLikeDetector
from router.privacy.detectors.registry import default_detectors
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import TurnRequest


def _flagged(text: str, kind: str = NAME_LIKE) -> list[str]:
    return [text[f.start : f.end] for f in NameLikeDetector().detect(text) if f.type == kind]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write a speech for my friend sulaiman", ["sulaiman"]),  # lower-case, not a word
        ("I worked at Napco as a clerk", ["Napco"]),  # capital mid-sentence
        ("SKF ships the parts", ["SKF"]),  # capitals, even first in the sentence
        ("the binding is activityMainBinding here", ["activityMainBinding"]),
        ("book a slot on academics.klef.in please", ["academics.klef.in"]),
        ("dinner at K.F.C. tonight", ["K.F.C."]),
        ("call polisWindow.show() now", ["polisWindow"]),
    ],
)
def test_flags_names_ner_misses(text: str, expected: list[str]) -> None:
    assert _flagged(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "What is the best way to learn to cook?",  # sentence-initial common words
        "I think I'm ready. Then I'll go.",  # the pronoun I
        "Ten Tips For The Best Bread",  # title-case function words and common words
        "please explain how photosynthesis works",  # ordinary lower-case words
    ],
)
def test_ordinary_words_are_not_flagged(text: str) -> None:
    flagged = _flagged(text)
    assert not {"I", "I'm", "I'll", "For", "The", "What", "Then"} & set(flagged)
    assert "photosynthesis" not in flagged and "explain" not in flagged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("let us delve into why the bakes and muffins were coerced", []),  # dictionary words
        ("What is the GDP of Peru? Is RNA in a virus?", ["Peru"]),  # abbreviations
        ("Ask about World War II", ["World", "War"]),  # a roman numeral
        ("Meet on Monday, not Friday: True or False?", []),  # days and answers
        ("take vitamin C with option B", []),  # a letter alone
        ("Statement 1| Every boundary.\nA. True, True\nB. False, False\nAnswer:", []),
        ("write to JOHN and SUBWAY and SKF today", ["JOHN", "SUBWAY", "SKF"]),  # names shouted
    ],
)
def test_ordinary_words_of_quizzes_and_questions_are_not_names(
    text: str, expected: list[str]
) -> None:
    assert _flagged(text) == expected


def test_caseless_scripts_are_reported_as_unchecked_runs() -> None:
    text = "Translate: 我在阿里巴巴工作 thanks"
    assert _flagged(text, UNCHECKED_SCRIPT) == ["我在阿里巴巴工作"]
    assert "我在阿里巴巴工作" not in _flagged(text)


def _scan(*, names: bool = True, **kw: object) -> Scanner:
    detectors = default_detectors(ner=False, topics=False, names=names)
    return Scanner(detectors=detectors, **kw)  # type: ignore[arg-type]


def test_default_rules_redact_name_like_words_and_protect_them() -> None:
    report = _scan().scan(
        TurnRequest(text="a toast for my brother's wife eeden", session_id="s"), []
    )
    assert report.action == "redact" and report.rule == "name-like"
    assert "eeden" in {p.value for p in report.redact_values}


def test_unchecked_script_keeps_the_turn_local_unless_a_rule_allows_it() -> None:
    request = TurnRequest(text="帮我写一封信给刘老师", session_id="s")
    report = _scan().scan(request, [])
    assert report.keep_local and report.rule == "unchecked-script"
    allow = PrivacyRule(
        name="cjk-ok", types=["UNCHECKED_SCRIPT"], action="allow", reason="fine to send"
    )
    report = _scan(rules=build_rules([allow])).scan(request, [])
    assert not report.keep_local


def test_names_off_drops_name_like_findings() -> None:
    request = TurnRequest(text="write a speech for my friend sulaiman", session_id="s")
    report = _scan(names=False).scan(request, [])
    assert not any(f.type == NAME_LIKE for f in report.findings)
    assert report.action == "allow"
