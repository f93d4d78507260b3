"""Validated pattern detectors: e-mail, phone, card, IBAN, SSN, IP, DOB, address, IDs.

Type names follow Presidio's so results compare directly with its data sets.
Every regex is compiled once at import. Checksums (Luhn, mod-97) and the
`phonenumbers` library (`parse` as a cheap filter, then `PhoneNumberMatcher`
with `Leniency.VALID`, run on regex-found candidates only) validate candidates;
validated hits score highest. Phone-shaped numbers that no region validates are
still reported, at low confidence, when their grouping or context says phone.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from router.types import Finding

NAME = "patterns"

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,24}\b"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}\b", re.IGNORECASE)
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_SSN_CONTEXT = re.compile(
    r"\b(?:SSN|SSNs|social\s+security(?:\s+(?:number|no\.?|#))?)\b[^\d\n]{0,20}"
    r"(?P<v>(?!000|666|9\d\d)\d{3}([ .]?)(?!00)\d{2}\2(?!0000)\d{4})(?!\d)",
    re.IGNORECASE,
)
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_PHONE = re.compile(
    r"(?<![\w.+-])(?:\+\d{1,3}[ .-]?)?(?:\(0\) ?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}"
    r"(?:[ .-]\d{1,12}){0,6}(?: ?(?:x|ext\.?) ?\d{1,6})?(?!\w|-\d)"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_DATE_NUM = (
    rf"(?:{_DAY}[./-]{_MON}|{_MON}[./-]{_DAY})[./-](?:19|20)?\d\d"
    rf"|(?:19|20)\d\d[./-]{_MON}[./-]{_DAY}"
)
_NOT_PHONE = re.compile(
    rf"(?:{_DATE_NUM})(?: \d{{1,2}})?|(?:(?:19|20)\d\d[ ,.-]*)+|(?:\d{{1,3}}\.){{3}}\d{{1,3}}"
)
_PHONE_CONTEXT = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call|calling|fax|desk|office|"
    r"contact|reach|dial|sms|whatsapp|answering|ring)\b",
    re.IGNORECASE,
)
_HOUSE = re.compile(r" (?!(?:office|fax|mobile|home|work|cell|tel|phone|desk)\b)[A-Za-z]", re.I)
_CARD_CONTEXT = re.compile(r"\b(?:card|cc)\b[^\d\n]{0,25}$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_EXT = re.compile(r" ?(?:x|ext)")
_GROUP_SEP = re.compile(r"[ .()-]+")
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "CA", "AU", "IN", "IT", "ES", "NL", "CH", "SE")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|"
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}})"
)
_DOB = re.compile(
    rf"\b(?:born|DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday)\b"
    rf"[^\n\d]{{0,20}}?(?P<v>{_DATE})",
    re.IGNORECASE,
)
_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Close|Row|"
    r"Alley|Plaza|Loop|Path|Pike|Run|Walk)"
)
_STREET = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[A-Z][A-Za-z'.-]*\s+){{1,4}}{_SUFFIX}\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[\w-]+)?"
    r"(?:,\s*[A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+){0,2})?"
    r"(?:,?\s*[A-Z]{2})?(?:,?\s+\d{5}(?:-\d{4})?)?"
)
_PASSPORT = re.compile(
    r"\bpassport(?:\s+(?:no\.?|number|num\.?|#))?\s*(?:is\s+)?[:#]?\s*(?P<v>[A-Z0-9]{6,9})\b",
    re.IGNORECASE,
)
_DL = re.compile(
    r"(?:\bdriver'?s?\s+licen[cs]e|\bdriving\s+licen[cs]e|\bDL)"
    r"(?:\s+(?:no\.?|number|num\.?|#))?\s*(?:is\s+)?[:#]?\s*(?P<v>[A-Z0-9][A-Z0-9-]{4,19})\b",
    re.IGNORECASE,
)
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28,
    "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "TR": 26,
}  # fmt: skip


def luhn_valid(digits: str) -> bool:
    """Return True when the digit string passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """Return True when the space-free IBAN passes the ISO 13616 mod-97 check."""
    s = compact.upper()
    if len(s) < 15 or len(s) > 34 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    expected = _IBAN_LENGTHS.get(s[:2])
    if expected is not None and len(s) != expected:
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _f(kind: str, start: int, end: int, confidence: float) -> Finding:
    return Finding(type=kind, start=start, end=end, confidence=confidence, detector=NAME)


def _emails(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield _f("EMAIL_ADDRESS", m.start(), m.end(), 0.95)


def _cards(text: str) -> Iterator[Finding]:
    for m in _CARD.finditer(text):
        raw = m.group(0)
        digits = raw.replace(" ", "").replace("-", "")
        if len(set(digits)) < 2 or not luhn_valid(digits):
            continue
        context = bool(_CARD_CONTEXT.search(text, max(0, m.start() - 40), m.start()))
        if len(digits) == 12 and not (context or digits.startswith(("50", "56", "57", "58", "6"))):
            continue  # 12 digits only for Maestro ranges or after "card"
        if len(digits) >= 13 or digits[0] in "56" or context:
            yield _f(
                "CREDIT_CARD",
                m.start(),
                m.end(),
                0.95 if len(digits) >= 13 else 0.8 if context else 0.7,
            )


def _ibans(text: str) -> Iterator[Finding]:
    for m in _IBAN.finditer(text):
        raw = m.group(0)
        # Trim trailing groups until the checksum holds (a following word may be caught).
        positions = [i for i, c in enumerate(raw) if c != " "]
        compact = raw.replace(" ", "")
        for n in range(min(len(compact), 34), 14, -1):
            end = positions[n - 1] + 1
            if end < len(raw) and raw[end] != " ":
                continue
            if iban_valid(compact[:n]):
                yield _f("IBAN_CODE", m.start(), m.start() + end, 0.98)
                break


def _ssns(text: str) -> Iterator[Finding]:
    for m in _SSN.finditer(text):
        yield _f("US_SSN", m.start(), m.end(), 0.85)
    for m in _SSN_CONTEXT.finditer(text):
        yield _f("US_SSN", m.start("v"), m.end("v"), 0.9)


def _ips(text: str) -> Iterator[Finding]:
    if "." in text:
        for m in _IPV4.finditer(text):
            yield _f("IP_ADDRESS", m.start(), m.end(), 0.9)
    if "::" in text or text.count(":") >= 3:
        for m in _IPV6.finditer(text):
            cand = m.group(0)
            if cand.count(":") < 2 or not any(c.isalnum() for c in cand):
                continue
            try:
                ipaddress.IPv6Address(cand)
            except ValueError:
                continue
            yield _f("IP_ADDRESS", m.start(), m.end(), 0.9 if cand.count(":") >= 4 else 0.6)


@lru_cache(maxsize=8192)
def _phone_valid(cand: str) -> bool:
    """Return True when `phonenumbers` deems `cand` valid in some likely region."""
    regions = (None,) if cand.startswith("+") else _PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(cand, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            # Confirm with the matcher, which also rejects badly grouped digits.
            matcher = phonenumbers.PhoneNumberMatcher(
                cand, region or "US", phonenumbers.Leniency.VALID
            )
            if matcher.has_next():
                return True
    return False


def _phones(text: str) -> Iterator[Finding]:
    for m in _PHONE.finditer(text):
        cand = m.group(0)
        main = _EXT.split(cand, maxsplit=1)[0]
        n_digits = sum(c.isdigit() for c in main)
        if n_digits < 7 or n_digits > 15 or _NOT_PHONE.fullmatch(main):
            continue
        if main.count(" ") == 1 and not (set(main) & set("-.()+")) and _HOUSE.match(text, m.end()):
            continue  # "3747 3911 Fourth Avenue": a house number, not a phone
        if _phone_valid(cand):
            yield _f("PHONE_NUMBER", m.start(), m.end(), 0.75)
            continue
        # Unvalidated but phone-shaped: separated digit groups or a leading + / (.
        groups = [g for g in _GROUP_SEP.split(main.strip("+(")) if g]
        if main[0] == "+" and len(groups) == 1:
            yield _f("PHONE_NUMBER", m.start(), m.end(), 0.4)  # +<country><number>
            continue
        if (len(groups) < 2 and main[0] != "(") or any(len(g) > 6 for g in groups):
            continue
        shaped = len(groups) >= 3 or main[0] in "+(" or [len(g) for g in groups] in ([3, 4], [4, 4])
        window = text[max(0, m.start() - 40) : m.end() + 15]
        if shaped or _PHONE_CONTEXT.search(window):
            yield _f("PHONE_NUMBER", m.start(), m.end(), 0.4)


def _dobs(text: str) -> Iterator[Finding]:
    for m in _DOB.finditer(text):
        yield _f("DATE_OF_BIRTH", m.start("v"), m.end("v"), 0.8)


def _streets(text: str) -> Iterator[Finding]:
    for m in _STREET.finditer(text):
        yield _f("STREET_ADDRESS", m.start(), m.start() + len(m.group(0).rstrip()), 0.6)


def _ids(text: str) -> Iterator[Finding]:
    lower = text.lower()
    if "passport" in lower:
        for m in _PASSPORT.finditer(text):
            v = m.group("v")
            if not any(c.isdigit() for c in v):
                continue
            us = len(v) == 9 and (v.isdigit() or (v[0].isalpha() and v[1:].isdigit()))
            kind = "US_PASSPORT" if us else "PASSPORT"
            yield _f(kind, m.start("v"), m.end("v"), 0.8)
    if "licen" in lower or "dl" in lower:
        for m in _DL.finditer(text):
            v = m.group("v")
            if sum(c.isdigit() for c in v) >= 4:
                yield _f("DRIVER_LICENSE", m.start("v"), m.end("v"), 0.75)


@dataclass(frozen=True)
class PatternDetector:
    """Regex + checksum detector for structured identifiers (Presidio type names)."""

    name = NAME

    def detect(self, text: str) -> list[Finding]:
        """Return every structured-identifier finding in `text`."""
        out: list[Finding] = []
        out.extend(_emails(text))
        out.extend(_ids(text))
        out.extend(_streets(text))
        if _DIGIT.search(text):
            out.extend(_cards(text))
            out.extend(_ibans(text))
            out.extend(_ssns(text))
            out.extend(_ips(text))
            out.extend(_phones(text))
            out.extend(_dobs(text))
        return out
