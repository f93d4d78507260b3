"""The detectors Tandem runs, and `scan_text`, which runs them on one text.

`scan_text` scans the normalized text (invisible characters removed, NFKC,
look-alike letters, %-escapes and obfuscated e-mails undone) but reports original
offsets; it also scans the text inside base64 blobs, reporting what it finds
there on the whole blob. It drops duplicates and
resolves overlaps: of two overlapping non-TOPIC findings the more confident
(then more specific, then longer) one wins; TOPIC findings may overlap anything.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from router.privacy.detectors.base import Detector, WithoutTypes
from router.privacy.detectors.names import NAME_LIKE, NameLikeDetector
from router.privacy.detectors.normalize import encoded_blobs, normalize
from router.privacy.detectors.patterns import PatternDetector
from router.privacy.detectors.secrets import SecretsDetector
from router.privacy.detectors.topics import TopicDetector
from router.privacy.detectors.web import UrlDetector
from router.types import Finding

# Higher wins a tie in confidence: checksummed / specific types before vague ones.
_SPECIFICITY = {
    "PRIVATE_KEY": 10, "API_KEY": 9, "JWT": 9, "CREDIT_CARD": 8, "IBAN_CODE": 8,
    "US_SSN": 7, "EMAIL_ADDRESS": 7, "IP_ADDRESS": 6, "PASSWORD": 6, "US_PASSPORT": 5,
    "PASSPORT": 5, "DRIVER_LICENSE": 5, "DATE_OF_BIRTH": 5, "PHONE_NUMBER": 4,
    "STREET_ADDRESS": 3, "HIGH_ENTROPY_TOKEN": 1,
}  # fmt: skip


def default_detectors(
    *, ner: bool = True, topics: bool = True, names: bool = True
) -> list[Detector]:
    """Return the detectors Tandem runs: patterns, secrets, URLs, topics, names, and NER.

    `topics` and `names` are the `[privacy]` switches: without `names` there are no
    `NAME_LIKE` findings at all (NER's proper nouns included). NER is left out when
    `ner` is False, or when its packages (the `ner` extra) are missing; the latter
    is reported once per process, never silently. Nothing heavy is loaded here:
    the NER model loads on its first `detect()`.
    """
    detectors: list[Detector] = [PatternDetector(), SecretsDetector(), UrlDetector()]
    if topics:
        detectors.append(TopicDetector())
    if names:
        detectors.append(NameLikeDetector())
    if not ner:
        return detectors
    from router.privacy.detectors.ner import ner_detector, report_unavailable_once

    found = ner_detector()
    if found is None:
        report_unavailable_once()
    elif names:
        detectors.append(found)
    else:
        detectors.append(WithoutTypes(found, frozenset({NAME_LIKE})))
    return detectors


def _rank(f: Finding) -> tuple[float, int, int]:
    return (f.confidence, _SPECIFICITY.get(f.type, 2), f.end - f.start)


def resolve_overlaps(findings: Sequence[Finding]) -> list[Finding]:
    """Drop duplicates and overlapping losers; TOPIC findings are kept alongside others."""
    topics: dict[tuple[int, int, str], Finding] = {}
    others: list[Finding] = []
    for f in findings:
        if f.end <= f.start:
            continue
        if f.type == "TOPIC":
            key = (f.start, f.end, f.category)
            if key not in topics:
                topics[key] = f
        else:
            others.append(f)
    kept: list[Finding] = []
    # Best first; keep a finding only if it overlaps nothing already kept.
    taken: list[tuple[int, int]] = []  # disjoint, sorted by start
    for f in sorted(others, key=_rank, reverse=True):
        i = bisect.bisect_left(taken, (f.start, f.end))
        if i > 0 and taken[i - 1][1] > f.start:
            continue
        if i < len(taken) and taken[i][0] < f.end:
            continue
        taken.insert(i, (f.start, f.end))
        kept.append(f)
    kept.extend(topics.values())
    return sorted(kept, key=lambda f: (f.start, f.end, f.type))


def scan_text(text: str, detectors: Sequence[Detector] | None = None) -> list[Finding]:
    """Run `detectors` (default: `default_detectors()`) on `text`; return resolved findings."""
    active = default_detectors() if detectors is None else detectors
    return _scan(text, active, _BLOB_DEPTH)


# Base64 inside base64 is still looked into, but not forever.
_BLOB_DEPTH = 2


def _scan(text: str, detectors: Sequence[Detector], depth: int) -> list[Finding]:
    norm = normalize(text)
    found = norm.mapped([f for detector in detectors for f in detector.detect(norm.text)])
    if depth > 0:
        for b_start, b_end, decoded in encoded_blobs(norm.text):
            # The blob is what would leave, so it is what the finding (and a redaction) covers.
            start, end = norm.to_original(b_start, b_end)
            for f in _scan(decoded, detectors, depth - 1):
                found.append(f.model_copy(update={"start": start, "end": end}))
    return resolve_overlaps(found)
