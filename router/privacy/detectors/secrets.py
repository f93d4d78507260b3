"""Secret detectors: API keys, private keys, JWTs, passwords, high-entropy tokens.

Choice on UUIDs: they are *not* flagged as `HIGH_ENTROPY_TOKEN` (they are
everywhere in code and logs and are rarely secrets); a UUID still counts when it
is the value of a password / secret assignment.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from router.types import Finding

NAME = "secrets"

# (cheap substring pre-filter, pattern, confidence)
_API_KEYS: tuple[tuple[str, re.Pattern[str], float], ...] = tuple(
    (hint, re.compile(p), c)
    for hint, p, c in (
        ("sk-ant-", r"\bsk-ant-[A-Za-z0-9_-]{20,}", 0.99),
        ("sk-", r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", 0.9),
        ("IA", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0.95),
        ("gh", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b", 0.98),
        ("github_pat_", r"\bgithub_pat_[A-Za-z0-9_]{22,}\b", 0.98),
        ("xox", r"\bxox[baprs]-[A-Za-z0-9-]{10,}", 0.95),
        ("AIza", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", 0.95),
        ("_live_", r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,}\b", 0.98),
    )
)
_AWS_SECRET = re.compile(
    r"(?:aws_?secret(?:_?access)?_?key|secret_?access_?key)[\"']?\s*[:=]\s*[\"']?"
    r"(?P<v>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
    re.IGNORECASE,
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"
)
_PRIVATE_KEY_OPEN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{0,}")
_PASSWORD = re.compile(
    r"(?P<k>\b(?:password|passwd|passphrase|pwd|pass|secret|api_?key|token)\b)[\"']?\s*(?:[:=]|=>)\s*"
    r"(?:\"(?P<dq>[^\"\n]{1,200})\"|'(?P<sq>[^'\n]{1,200})'|(?P<bare>[^\s,;\"'}{)]{1,200}))",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{20,}(?![A-Za-z0-9+/_=-])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def shannon_entropy(s: str) -> float:
    """Return the Shannon entropy of `s` in bits per character."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _f(kind: str, start: int, end: int, confidence: float) -> Finding:
    return Finding(type=kind, start=start, end=end, confidence=confidence, detector=NAME)


def _jwt_header_ok(segment: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and "alg" in header


def _looks_random(tok: str) -> bool:
    """Return True for a token that looks like key material, not a word or path."""
    core = tok.strip("=")
    if len(core) < 20 or _UUID.fullmatch(core):
        return False
    if _HEX.fullmatch(core):
        return len(core) >= 32 and shannon_entropy(core) > 3.0
    lower = any(c.islower() for c in core)
    upper = any(c.isupper() for c in core)
    classes = lower + upper + any(c.isdigit() for c in core)
    if classes < 3 or sum(c.isdigit() for c in core) < 2:
        return False
    return shannon_entropy(core) > 3.7


def _secrets(text: str) -> Iterator[Finding]:
    for hint, pattern, conf in _API_KEYS:
        if hint not in text:
            continue
        for m in pattern.finditer(text):
            yield _f("API_KEY", m.start(), m.end(), conf)
    for m in _AWS_SECRET.finditer(text):
        yield _f("API_KEY", m.start("v"), m.end("v"), 0.95)
    if "-----BEGIN" in text:
        found = False
        for m in _PRIVATE_KEY.finditer(text):
            found = True
            yield _f("PRIVATE_KEY", m.start(), m.end(), 0.99)
        if not found:  # a truncated block: flag from the header to the end
            for m in _PRIVATE_KEY_OPEN.finditer(text):
                yield _f("PRIVATE_KEY", m.start(), len(text), 0.9)
    if "eyJ" in text:
        for m in _JWT.finditer(text):
            if _jwt_header_ok(m.group(0).split(".", 1)[0]):
                yield _f("JWT", m.start(), m.end(), 0.95)
    for m in _PASSWORD.finditer(text):
        g = "dq" if m.group("dq") is not None else "sq" if m.group("sq") is not None else "bare"
        value = m.group(g)
        if value.strip() and value.lower() not in {"none", "null", "true", "false", "***"}:
            key = m.group("k").lower()
            kind = "PASSWORD" if key.startswith("pas") or key == "pwd" else "API_KEY"
            yield _f(kind, m.start(g), m.end(g), 0.85)
    for m in _TOKEN.finditer(text):
        if _looks_random(m.group(0)):
            yield _f("HIGH_ENTROPY_TOKEN", m.start(), m.end(), 0.6)


@dataclass(frozen=True)
class SecretsDetector:
    """Finds credentials: provider API keys, private keys, JWTs, passwords, random tokens."""

    name = NAME

    def detect(self, text: str) -> list[Finding]:
        """Return every secret-like finding in `text`."""
        return list(_secrets(text))
