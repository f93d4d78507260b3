"""Private values for the egress fuzz: generated, spelled several ways, and their leak forms.

Every kind here is one the shipped default rules keep local (cards, API keys,
SSNs) or redact (e-mails, phones, names, street addresses); `rule_action` asks
the rules, so the fuzz follows them if they change. Spellings other than the
plain ones are only those the scan claims to undo (router/privacy/detectors/
normalize.py: invisible characters, full-width digits, Cyrillic look-alikes in
Latin words, %XX escapes, "[at]"/"[dot]" e-mails, base64 blobs of text).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from router.privacy.guard import encodings_of
from router.privacy.rules import RuleSubject, build_rules
from router.types import FindingAction

Kind = Literal["card", "api_key", "ssn", "email", "phone", "person", "address"]
KINDS: tuple[Kind, ...] = ("card", "api_key", "ssn", "email", "phone", "person", "address")
FINDING_TYPE: dict[Kind, str] = {
    "card": "CREDIT_CARD",
    "api_key": "API_KEY",
    "ssn": "US_SSN",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "person": "PERSON",
    "address": "STREET_ADDRESS",
}

FIRST: tuple[str, ...] = ("Sarah", "Priya", "Mateo", "Olusegun", "Ingrid", "Tomasz", "Aiko")
FIRST += ("Fatima", "Declan", "Rosalind", "Dmitri", "Beatriz", "Kwame", "Siobhan", "Henrik")
FIRST += ("Leilani", "Rafael")
LAST: tuple[str, ...] = ("Okonkwo", "Lindqvist", "Castellanos", "Nakamura", "Brennan", "Wojcik")
LAST += ("Haddad", "Fairweather", "Abernathy", "Kowalczyk", "Ravensworth", "Oyelaran", "Delacroix")
STREETS = ("Birchwood", "Maple", "Harborview", "Juniper", "Wexford", "Chestnut", "Larkspur")
SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Drive", "Boulevard")
DOMAINS = ("gmail.com", "outlook.com", "proton.me", "fastmail.com", "yahoo.co.uk", "acme-corp.com")
AREA_CODES = ("212", "415", "312", "617", "206", "512", "303", "404")
CONTROLS = (
    "compound interest",
    "photosynthesis",
    "binary search",
    "the water cycle",
    "supply and demand",
    "the greenhouse effect",
    "the boiling point of water",
    "how rainbows form",
    "prime numbers",
)
"""Public phrases placed beside the private values: the cloud must still get them intact."""

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}
_ZERO_WIDTH = ("\u200b", "\u200d", "\u2060", "\u00ad")


@dataclass(frozen=True)
class PrivateValue:
    """One private value as placed in a turn: its canonical form and how it was written."""

    kind: Kind
    value: str
    """The canonical spelling (what a rule protects)."""
    placed: str
    """How the turn writes it (`value` itself, or a variant)."""
    variant: str
    sentence: str
    """A sentence that carries `placed`, as a user would write it."""

    @property
    def action(self) -> FindingAction:
        """What the default rules do with this kind."""
        return rule_action(self.kind)

    def forms(self) -> list[str]:
        """The spellings whose presence at the wire is a leak."""
        out = [self.placed, self.value]
        if self.kind == "card":
            out.append("".join(c for c in self.value if c.isdigit()))
        return list(dict.fromkeys(out))


@cache
def rule_action(kind: Kind) -> FindingAction:
    """The shipped default rules' action on a finding of `kind`."""
    return build_rules().decide(RuleSubject(type=FINDING_TYPE[kind])).action


def needles(value: PrivateValue, file_encoding: str = "") -> list[bytes]:
    """Byte forms of `value` that count as a leak: every form, raw and as the guard encodes it.

    `file_encoding` adds the forms as that codec writes them (a UTF-16 file sent raw).
    """
    found: list[bytes] = []
    for form in value.forms():
        found += [b for forms in encodings_of(form).values() for b in forms]
        if file_encoding:
            raw = form.encode(file_encoding)
            found += [raw, base64.b64encode(raw)]
    return list(dict.fromkeys(found))


def luhn_card(rng: random.Random) -> str:
    """A Luhn-valid Visa, Mastercard or Amex number, grouped as printed on the card."""
    prefix = rng.choice(["4", "51", "52", "53", "54", "55", "34", "37"])
    length = 15 if prefix in ("34", "37") else 16
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    digits = body + str(_luhn_digit(body))
    groups = (4, 6, 5) if length == 15 else (4, 4, 4, 4)
    out, pos = [], 0
    for size in groups:
        out.append(digits[pos : pos + size])
        pos += size
    return " ".join(out)


def _luhn_digit(body: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def _api_key(rng: random.Random) -> str:
    def run(n: int, alphabet: str = _ALNUM) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    return rng.choice(
        [
            f"sk-ant-api03-{run(40)}",
            f"sk-proj-{run(40)}",
            f"ghp_{run(36)}",
            f"AKIA{run(16, _ALNUM[:26] + _ALNUM[52:])}",
        ]
    )


def _ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST).lower(), rng.choice(LAST).lower()
    local = rng.choice(
        [f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randint(1, 99)}"]
    )
    return f"{local}@{rng.choice(DOMAINS)}"


def _phone(rng: random.Random) -> str:
    area, exchange, line = rng.choice(AREA_CODES), rng.randint(201, 989), rng.randint(1000, 9999)
    if exchange == 555:
        exchange = 556
    return rng.choice(
        [
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"+1 {area} {exchange} {line}",
            f"+44 20 7{rng.randint(100, 999)} {line}",
        ]
    )


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _address(rng: random.Random) -> str:
    return f"{rng.randint(12, 9800)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"


MAKERS: dict[Kind, Callable[[random.Random], str]] = {
    "card": luhn_card,
    "api_key": _api_key,
    "ssn": _ssn,
    "email": _email,
    "phone": _phone,
    "person": _person,
    "address": _address,
}
SENTENCES: dict[Kind, tuple[str, ...]] = {
    "card": ("My card number is {}.", "Charge it to the card {} please.", "card: {}"),
    "api_key": ("Our production key is {}.", "api_key = {}", "I pasted the token {} earlier."),
    "ssn": ("My SSN is {}.", "Social security number: {}", "SSN {} for the form."),
    "email": ("Write to {} about it.", "My address is {}.", "cc: {}"),
    "phone": ("Call me on {}.", "My phone number is {}.", "mobile: {}"),
    "person": ("My colleague {} asked.", "Please write to {} tomorrow.", "I met {} at the office."),
    "address": ("I live at {}.", "Ship it to {}, please.", "Our office moved to {}."),
}
VARIANTS: dict[Kind, tuple[str, ...]] = {
    "card": ("plain", "dashes", "compact", "fullwidth", "zero_width", "percent", "base64"),
    "api_key": ("plain", "zero_width", "base64"),
    "ssn": ("plain", "fullwidth", "zero_width"),
    "email": ("plain", "obfuscated", "homoglyph", "percent"),
    "phone": ("plain", "fullwidth", "zero_width"),
    "person": ("plain", "homoglyph"),
    "address": ("plain",),
}


def make_value(kind: Kind, rng: random.Random, variant: str | None = None) -> PrivateValue:
    """A fresh value of `kind`, written as `variant` (or a random one), in a sentence."""
    value = MAKERS[kind](rng)
    variant = variant or rng.choice(VARIANTS[kind])
    if kind == "card" and variant in ("dashes", "compact"):
        value = value.replace(" ", "-" if variant == "dashes" else "")
    template = rng.choice(SENTENCES[kind])
    if variant == "base64":
        # The whole sentence is encoded, as a pasted blob would be.
        blob = base64.b64encode(template.format(value).encode()).decode()
        return PrivateValue(kind, value, blob, variant, f"Decode this: {blob}")
    placed = spell(value, variant, rng)
    return PrivateValue(kind, value, placed, variant, template.format(placed))


def spell(value: str, variant: str, rng: random.Random) -> str:
    """`value` written as `variant` (one of the spellings the scan claims to undo)."""
    if variant == "fullwidth":
        return value.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    if variant == "zero_width":
        mark = rng.choice(_ZERO_WIDTH)
        return mark.join(value)
    if variant == "percent":
        if "@" in value:
            return value.replace("@", "%40")
        return "".join(f"%{ord(c):02X}" for c in value)
    if variant == "obfuscated":
        local, domain = value.split("@")
        return f"{local} [at] {domain.replace('.', ' [dot] ')}"
    if variant == "homoglyph":
        letters = [i for i, c in enumerate(value) if c in _CYRILLIC]
        if not letters:
            return value
        i = rng.choice(letters)
        return value[:i] + _CYRILLIC[value[i]] + value[i + 1 :]
    return value
