"""What the egress guard looks for: every byte form of a protected value, and where it hits.

A value is looked for raw, JSON-escaped, URL-encoded and as base64 at any
alignment; short values only as whole words, as redaction replaces them
(router/privacy/redact.py), so `Ann` does not hit `Annual`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from router.privacy.redact import needs_word_boundary

_MIN_BASE64_NEEDLE = 8  # shorter base64 runs match random data too often
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") | set(
    range(0x80, 0x100)
)
_HEX = frozenset(b"0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Needle:
    """One byte form of a protected value, and how it must be matched."""

    type: str
    encoding: str
    data: bytes
    whole_word: bool
    mine_ok: bool = False
    """The value may reach the user's own devices (a keep_mine value)."""


def encodings_of(value: str) -> dict[str, list[bytes]]:
    """Every byte form of `value` the guard looks for, by encoding name."""
    raw = value.encode("utf-8")
    forms: dict[str, list[bytes]] = {"raw": [raw]}
    escaped = json.dumps(value, ensure_ascii=False)[1:-1].encode("utf-8")
    ascii_escaped = json.dumps(value)[1:-1]
    upper = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m[1].upper(), ascii_escaped)
    forms["json"] = [escaped, ascii_escaped.encode(), upper.encode()]
    forms["url"] = [quote(value, safe="").encode(), quote_plus(value, safe="").encode()]
    b64: list[bytes] = []
    for skip in range(3):
        # The value can start at any offset of a base64 group; trimming 0-2 bytes
        # makes one of these variants start on a group boundary, and only whole
        # groups are kept so the padding at the end does not matter.
        chunk = raw[skip:]
        whole = chunk[: len(chunk) // 3 * 3]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(whole)
            if len(encoded) >= _MIN_BASE64_NEEDLE:
                b64.append(encoded)
    forms["base64"] = b64
    return {name: list(dict.fromkeys(v for v in vs if v)) for name, vs in forms.items()}


def needles_of(type_: str, value: str, mine_ok: bool = False) -> list[Needle]:
    """Every needle for `value` of `type_`; `mine_ok` when it may reach the user's devices."""
    boundary = needs_word_boundary(value)
    out: list[Needle] = []
    for encoding, forms in encodings_of(value).items():
        for data in forms:
            whole_word = boundary and encoding != "base64"
            out.append(Needle(type_, encoding, data, whole_word, mine_ok))
    return out


def carries_any(payload: bytes, values: Iterable[str]) -> bool:
    """Whether `payload` holds one of `values` in any form the guard knows, matched as the
    redactor matches (short values only as whole words, so `Ann` does not hit `Annual`)."""
    return any(holds(payload, n) for v in values if v for n in needles_of("VALUE", v))


def holds(payload: bytes, needle: Needle) -> bool:
    """Whether `payload` holds `needle` (as a whole word where it must be one)."""
    if not needle.whole_word:
        return needle.data in payload
    start = payload.find(needle.data)
    while start != -1:
        end = start + len(needle.data)
        if _boundary_before(payload, start) and (
            end >= len(payload) or payload[end] not in _WORD_BYTES
        ):
            return True
        start = payload.find(needle.data, start + 1)
    return False


def _boundary_before(payload: bytes, start: int) -> bool:
    """True when the byte before `start` ends a word: a separator or an escape sequence."""
    if start == 0 or payload[start - 1] not in _WORD_BYTES:
        return True
    # `\n`, `\u00e9` or `%20` right before the value still separate it from a word.
    if start >= 2 and payload[start - 2] == ord("\\"):
        return True
    if start >= 6 and payload[start - 6 : start - 4] == b"\\u" and _hex(payload[start - 4 : start]):
        return True
    return start >= 3 and payload[start - 3] == ord("%") and _hex(payload[start - 2 : start])


def _hex(data: bytes) -> bool:
    return all(b in _HEX for b in data)
