"""The `Detector` adapters, the default detector switches, and the scanner's use of both."""

from router.privacy.detectors.base import DetectFn, FunctionDetector, WithoutTypes
from router.privacy.detectors.registry import default_detectors
from router.privacy.scan import Scanner
from router.types import Finding, TurnRequest


def _word(kind: str, word: str) -> DetectFn:
    def detect(text: str) -> list[Finding]:
        start = text.find(word)
        if start < 0:
            return []
        return [
            Finding(type=kind, start=start, end=start + len(word), confidence=0.9, detector="t")
        ]

    return detect


def test_function_detector_and_without_types() -> None:
    both = FunctionDetector(lambda text: [*_word("A", "x")(text), *_word("B", "y")(text)], "ab")
    assert {f.type for f in both.detect("x y")} == {"A", "B"}
    only_a = WithoutTypes(both, frozenset({"B"}))
    assert only_a.name == "ab"
    assert [f.type for f in only_a.detect("x y")] == ["A"]


def test_default_detectors_follow_the_switches() -> None:
    assert [d.name for d in default_detectors(ner=False, topics=False, names=False)] == [
        "patterns",
        "secrets",
        "web",
    ]
    assert [d.name for d in default_detectors(ner=False)] == [
        "patterns",
        "secrets",
        "web",
        "topics",
        "names",
    ]
    assert default_detectors(ner=False) == default_detectors(ner=False)  # equal lists share a cache


def test_scanners_with_different_detectors_do_not_share_findings() -> None:
    request = TurnRequest(text="the word", session_id="s")
    first = Scanner(detectors=[FunctionDetector(_word("A", "word"))]).scan(request, [])
    second = Scanner(detectors=[FunctionDetector(_word("B", "word"))]).scan(request, [])
    assert [f.type for f in first.findings] == ["A"]
    assert [f.type for f in second.findings] == ["B"]
