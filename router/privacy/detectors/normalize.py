"""Obfuscation-robust scanning: normalize text, scan it, map offsets back.

`normalize` removes zero-width characters, applies NFKC (so full-width digits
become ASCII) and rewrites obfuscated e-mail forms such as
``john [at] example [dot] com`` to ``john@example.com``. It keeps, for every
character of the normalized text, the span of the original text it came from,
so findings made on the normalized text are reported with original offsets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from router.privacy.detectors.base import Detector
from router.types import Finding

_ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060"

# Obfuscated "at" / "dot": bracketed forms anywhere, plain " at " only when an
# obfuscated " dot " follows in the same address.
_BR_AT = r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\})\s*"
_BR_DOT = r"\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\})\s*"
_ANY_DOT = rf"(?:{_BR_DOT}|\s+dot\s+|\.)"
_OBF_EMAIL = re.compile(
    rf"(?<![\w.%+-])[A-Za-z0-9._%+-]+(?P<at>{_BR_AT}|\s+at\s+)"
    rf"[A-Za-z0-9-]+(?:{_ANY_DOT}[A-Za-z0-9-]+)*{_ANY_DOT}[A-Za-z]{{2,24}}\b",
    re.IGNORECASE,
)
_AT_TOKEN = re.compile(rf"{_BR_AT}|\s+at\s+", re.IGNORECASE)
_DOT_TOKEN = re.compile(rf"{_BR_DOT}|\s+dot\s+", re.IGNORECASE)
# Characters that need per-character handling: non-ASCII ones.
_SPECIAL = re.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True)
class NormalizedText:
    """Normalized text plus, per normalized character, its original span."""

    text: str
    starts: list[int] | None  # None: offsets equal the original's
    ends: list[int] | None
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a `[start, end)` span of the normalized text to the original."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= len(self.starts):
            return self.original_length, self.original_length
        o_start = self.starts[start]
        o_end = self.ends[end - 1] if end > start else o_start
        return o_start, max(o_start, o_end)


@lru_cache(maxsize=65536)
def _normalize_char(ch: str) -> str:
    """Return the normalized form of one non-ASCII character ("" for zero-width)."""
    return "" if ch in _ZERO_WIDTH else unicodedata.normalize("NFKC", ch)


def _email_rewrites(text: str) -> list[tuple[int, int, str]]:
    """Return `(start, end, replacement)` edits that de-obfuscate e-mail forms."""
    edits: list[tuple[int, int, str]] = []
    for m in _OBF_EMAIL.finditer(text):
        span = m.group(0)
        plain_at = (
            "[" not in m.group("at") and "(" not in m.group("at") and "{" not in m.group("at")
        )
        dots = list(_DOT_TOKEN.finditer(span))
        if plain_at and not dots:
            continue  # "look at example.com" is not an address
        base = m.start()
        at = _AT_TOKEN.search(span)
        if at is not None:
            edits.append((base + at.start(), base + at.end(), "@"))
        for d in dots:
            edits.append((base + d.start(), base + d.end(), "."))
    return edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, list[int], list[int]]:
    """Apply sorted, non-overlapping edits; return the text and its span map."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for e_start, e_end, rep in sorted(edits):
        if e_start < pos:
            continue  # overlapping edit; the first one wins
        if e_start > pos:
            out.append(text[pos:e_start])
            starts.extend(range(pos, e_start))
            ends.extend(range(pos + 1, e_start + 1))
        out.append(rep)
        starts.extend([e_start] * len(rep))
        ends.extend([e_end] * len(rep))
        pos = e_end
    if pos < len(text):
        out.append(text[pos:])
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    return "".join(out), starts, ends


def normalize(text: str) -> NormalizedText:
    """Return the normalized form of `text` with an offset map to the original."""
    starts: list[int] | None = None
    ends: list[int] | None = None
    current = text
    if not text.isascii():
        # Non-ASCII: NFKC and zero-width removal per distinct character. One-to-one
        # replacements (full-width digits) keep offsets; the rest need the span map.
        one_to_one: dict[int, str] = {}
        resized: dict[str, str] = {}
        for ch in set("".join(_SPECIAL.findall(text))):
            rep = _normalize_char(ch)
            if rep == ch:
                continue
            if len(rep) == 1:
                one_to_one[ord(ch)] = rep
            else:
                resized[ch] = rep
        current = text.translate(one_to_one) if one_to_one else text
        if resized:
            cls = re.compile("[" + "".join(re.escape(c) for c in resized) + "]")
            char_edits = [(m.start(), m.end(), resized[m.group(0)]) for m in cls.finditer(current)]
            current, starts, ends = _apply(current, char_edits)
    lowered_has_at = "at" in current or "AT" in current or "At" in current
    email_edits = _email_rewrites(current) if lowered_has_at else []
    if email_edits:
        current, starts2, ends2 = _apply(current, email_edits)
        if starts is not None and ends is not None:
            s1, e1 = starts, ends
            starts = [s1[i] if i < len(s1) else len(text) for i in starts2]
            ends = [e1[i - 1] if i > 0 else 0 for i in ends2]
        else:
            starts, ends = starts2, ends2
    return NormalizedText(current, starts, ends, len(text))


def detect_normalized(detector: Detector, text: str) -> list[Finding]:
    """Run `detector` on the normalized `text`; report findings with original offsets."""
    norm = normalize(text)
    findings = detector.detect(norm.text)
    if norm.starts is None:
        return findings
    mapped: list[Finding] = []
    for f in findings:
        start, end = norm.to_original(f.start, f.end)
        mapped.append(f.model_copy(update={"start": start, "end": end}))
    return mapped
