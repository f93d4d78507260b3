"""Obfuscation-robust scanning: normalize text, scan it, map offsets back.

`normalize` removes zero-width and bidi control characters, NULs and other
control characters, applies NFKC (so full-width digits become ASCII), maps
Cyrillic and Greek look-alikes to Latin letters inside words that mix them
with Latin ones, decodes `%XX` escapes of printable ASCII, and rewrites
obfuscated e-mail forms such as ``john [at] example [dot] com`` to
``john@example.com``. It keeps, for every character of the normalized text,
the span of the original text it came from, so findings made on the
normalized text are reported with original offsets.

`encoded_blobs` finds base64 blobs whose content is text: `registry.scan_text`
scans that text too and reports its findings on the whole blob.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from router.types import Finding

# Invisible characters: zero-width ones, bidi controls, soft hyphen, invisible operators.
_ZERO_WIDTH = frozenset(
    "\u200b\u200c\u200d\ufeff\u2060\u2061\u2062\u2063\u2064\u200e\u200f\u061c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u00ad\u180e\u034f"
)
# Control characters a sender can hide between digits (NUL from UTF-16 read as bytes).
_CONTROLS = frozenset(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
# Cyrillic and Greek letters drawn like Latin ones.
_HOMOGLYPHS = str.maketrans(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u04bb\u0501"
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0406\u0408\u0405"
    "\u03bf\u03b1\u03bd\u03c1\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f"
    "\u03a1\u03a4\u03a5\u03a7",
    "aeopcyxijshdABEKMHOPCTXIJSoavpABEZHIKMNOPTYX",
)
_WORD = re.compile(r"\w+")
_PERCENT = re.compile(r"%([2-7][0-9A-Fa-f])")
_BASE64 = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{16,}={0,2}(?![\w+/=-])")

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
# Characters that need per-character handling: non-ASCII and control ones.
_SPECIAL = re.compile(r"[^\t\n\r\x20-\x7e]+")


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

    def mapped(self, findings: list[Finding]) -> list[Finding]:
        """Findings in the normalized text, with their offsets in the original."""
        if self.starts is None:
            return findings
        out: list[Finding] = []
        for f in findings:
            start, end = self.to_original(f.start, f.end)
            out.append(f.model_copy(update={"start": start, "end": end}))
        return out


@lru_cache(maxsize=65536)
def _normalize_char(ch: str) -> str:
    """Return the normalized form of one special character ("" for invisible ones)."""
    if ch in _ZERO_WIDTH or ch in _CONTROLS:
        return ""
    return unicodedata.normalize("NFKC", ch)


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


def _characters(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """NFKC and invisible-character removal, per distinct special character.

    One-to-one replacements (full-width digits) keep offsets; the rest need the span map.
    """
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
    if not resized:
        return current, None, None
    cls = re.compile("[" + "".join(re.escape(c) for c in resized) + "]")
    edits = [(m.start(), m.end(), resized[m.group(0)]) for m in cls.finditer(current)]
    return _apply(current, edits)


def _unconfuse(text: str) -> str:
    """Latin letters for Cyrillic/Greek look-alikes in words that also hold ASCII ones.

    Only mixed words: a word wholly in Cyrillic or Greek is a real word, left alone.
    Lengths never change, so offsets stay valid.
    """
    if text.isascii():
        return text
    parts: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word.isascii() or not any(c.isascii() for c in word):
            continue
        mapped = word.translate(_HOMOGLYPHS)
        if mapped != word:
            parts += [text[pos : m.start()], mapped]
            pos = m.end()
    return "".join(parts) + text[pos:] if parts else text


def _percent_rewrites(text: str) -> list[tuple[int, int, str]]:
    """`%XX` escapes of printable ASCII, decoded (a URL-encoded number is still a number)."""
    if "%" not in text:
        return []
    edits = [(m.start(), m.end(), chr(int(m.group(1), 16))) for m in _PERCENT.finditer(text)]
    return [e for e in edits if e[2] != "\x7f"]


def _chain(
    spans: tuple[list[int], list[int]] | None,
    starts2: list[int],
    ends2: list[int],
    original_length: int,
) -> tuple[list[int], list[int]]:
    """The span map of two normalization steps in a row, from the last to the original."""
    if spans is None:
        return starts2, ends2
    s1, e1 = spans
    starts = [s1[i] if i < len(s1) else original_length for i in starts2]
    ends = [e1[i - 1] if i > 0 else 0 for i in ends2]
    return starts, ends


def normalize(text: str) -> NormalizedText:
    """Return the normalized form of `text` with an offset map to the original."""
    current = text
    spans: tuple[list[int], list[int]] | None = None
    if _SPECIAL.search(text):
        current, starts, ends = _characters(text)
        if starts is not None and ends is not None:
            spans = (starts, ends)
    current = _unconfuse(current)
    for rewrite in (_percent_rewrites, _email_rewrites):
        edits = rewrite(current)
        if edits:
            current, starts2, ends2 = _apply(current, edits)
            spans = _chain(spans, starts2, ends2, len(text))
    if spans is None:
        return NormalizedText(current, None, None, len(text))
    return NormalizedText(current, spans[0], spans[1], len(text))


def _decode_base64(blob: str) -> str | None:
    """The text a base64 (or base64url) blob encodes; None unless it is mostly printable."""
    core = blob.rstrip("=").replace("-", "+").replace("_", "/")
    if len(core) % 4 == 1:
        return None
    try:
        decoded = base64.b64decode(core + "=" * (-len(core) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    printable = sum(c.isprintable() or c in "\t\n\r" for c in decoded)
    return decoded if decoded and printable >= 0.9 * len(decoded) else None


def encoded_blobs(text: str) -> list[tuple[int, int, str]]:
    """`(start, end, decoded)` for every base64 blob (16+ characters) in `text` that is text."""
    out: list[tuple[int, int, str]] = []
    for m in _BASE64.finditer(text):
        decoded = _decode_base64(m.group(0))
        if decoded is not None:
            out.append((m.start(), m.end(), decoded))
    return out


def find_normalized(find: Callable[[str], list[Finding]], text: str) -> list[Finding]:
    """Run `find` on the normalized `text`; report its findings with original offsets."""
    norm = normalize(text)
    return norm.mapped(find(norm.text))
