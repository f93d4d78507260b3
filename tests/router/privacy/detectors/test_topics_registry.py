from router.privacy.detectors.patterns import PatternDetector
from router.privacy.detectors.registry import default_detectors, resolve_overlaps, scan_text
from router.privacy.detectors.secrets import SecretsDetector
from router.privacy.detectors.topics import TopicDetector, load_lexicon
from router.types import Finding

TOPICS = TopicDetector()


def _cats(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in TOPICS.detect(text):
        assert f.type == "TOPIC"
        out.setdefault(f.category, []).append(text[f.start : f.end])
    return out


def test_lexicon_categories() -> None:
    cats = set(load_lexicon())
    assert {"health", "finances", "legal", "sexual_orientation", "religion", "minors"} <= cats


def test_topics_found_case_insensitive_and_plural() -> None:
    cats = _cats("I was Diagnosed with cancer; my lawyers mention bankruptcy. Coming  out as gay.")
    assert cats["health"] == ["Diagnosed", "cancer"]
    assert cats["legal"] == ["lawyers"]
    assert cats["finances"] == ["bankruptcy"]
    assert cats["sexual_orientation"] == ["Coming  out", "gay"]


def test_topics_whole_words_only() -> None:
    assert _cats("cancerous gaylord churchill scancer") == {}


def test_religion_and_minors() -> None:
    cats = _cats("We go to the mosque with my daughter.")
    assert cats["religion"] == ["mosque"]
    assert cats["minors"] == ["my daughter"]


def test_default_detectors_include_core() -> None:
    names = {d.name for d in default_detectors()}
    assert {"patterns", "secrets", "topics"} <= names


def _f(kind: str, start: int, end: int, conf: float) -> Finding:
    return Finding(type=kind, start=start, end=end, confidence=conf, detector="t")


def test_resolve_overlaps() -> None:
    out = resolve_overlaps(
        [
            _f("PHONE_NUMBER", 0, 10, 0.4),
            _f("CREDIT_CARD", 0, 16, 0.95),
            _f("CREDIT_CARD", 0, 16, 0.95),
            _f("TOPIC", 2, 5, 0.5),
            _f("EMAIL_ADDRESS", 20, 30, 0.9),
        ]
    )
    assert [(f.type, f.start) for f in out] == [
        ("CREDIT_CARD", 0),
        ("TOPIC", 2),
        ("EMAIL_ADDRESS", 20),
    ]


def test_scan_text_sorted_and_deduplicated() -> None:
    text = "SSN 123-45-6789, card 4111 1111 1111 1111, I have diabetes, key AKIAIOSFODNN7EXAMPLE"
    dets = [PatternDetector(), SecretsDetector(), TopicDetector()]
    found = scan_text(text, dets)
    assert [f.start for f in found] == sorted(f.start for f in found)
    kinds = [f.type for f in found]
    assert kinds.count("US_SSN") == 1 and "PHONE_NUMBER" not in kinds
    assert {"CREDIT_CARD", "TOPIC", "API_KEY"} <= set(kinds)


def test_scan_text_one_megabyte_completes() -> None:
    chunk = "Hello, call me at +1 415 555 2671 or mail a@b.com; I have asthma. Nothing else. "
    text = chunk * (1_000_000 // len(chunk))
    found = scan_text(text, [PatternDetector(), SecretsDetector(), TopicDetector()])
    assert len(found) >= 3 * (len(text) // len(chunk))
