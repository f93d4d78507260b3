"""Names the user taught: "this name is public" or "this is private, never send it".

Each choice is a name in one of four ordinary user rules (`names` criterion,
see rules.py), which the user sees and edits in Privacy settings like any other:

- `taught-local`: the name keeps its turn on this device;
- `taught-mine`: the name keeps its turn on the user's devices (this one and the
  edges marked `mine`, router/privacy/zones.py);
- `taught-private`: the name is always redacted, even where public.py would
  let it through as public knowledge, and even where no detector sees it;
- `taught-public`: the name reaches the cloud intact, in any context.

A new taught rule goes to the top of the user's rules, the private ones before
the public one, so a taught name wins over the user's broader rules and the
shipped defaults. A name lives in one list at a time; a rule left with no names
is removed, since a rule without criteria would match every finding.
Structured identifiers (cards, keys, SSNs, e-mails, phones, addresses, web
addresses) can never be taught public: `teach` refuses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from router.errors import TandemError
from router.privacy.public import normalize_name
from router.privacy.rules import PrivacyRule
from router.types import FindingAction

Teaching = Literal["local", "mine", "private", "public"]
"""What the user says about a name: keep it here (local) or on my devices (mine), never send
it (private), or send it (public)."""
TEACHINGS: tuple[Teaching, ...] = get_args(Teaching)
_RULES: dict[Teaching, tuple[str, FindingAction, str]] = {
    "local": ("taught-local", "keep_local", "names someone you marked to keep on this device"),
    "mine": ("taught-mine", "keep_mine", "names someone you marked to keep on your devices"),
    "private": ("taught-private", "redact", "names someone you marked private"),
    "public": ("taught-public", "allow", "names what you marked public knowledge"),
}
_TEACHING_OF = {rule_name: teaching for teaching, (rule_name, _, _) in _RULES.items()}


def taught_names(rules: Sequence[PrivacyRule]) -> list[tuple[str, Teaching]]:
    """Every taught name and what it was taught, in rule order."""
    return [
        (name, _TEACHING_OF[rule.name])
        for rule in rules
        if rule.name in _TEACHING_OF
        for name in rule.names
    ]


def teach(rules: Sequence[PrivacyRule], name: str, teaching: Teaching) -> list[PrivacyRule]:
    """`rules` with `name` taught as `teaching` (and out of the other taught lists).

    Raises `TandemError` for an empty name, or an identifier taught as public.
    """
    name = " ".join(name.split())
    if not normalize_name(name):
        raise TandemError("the name is empty", "type the name as it appears in your messages")
    if teaching == "public":
        refuse_identifier(name)
    rule_name, action, reason = _RULES[teaching]
    kept, _ = forget(rules, name)
    for i, rule in enumerate(kept):
        if rule.name == rule_name:
            kept[i] = rule.model_copy(update={"names": [*rule.names, name]})
            return kept
    new = PrivacyRule(name=rule_name, names=[name], action=action, reason=reason)
    # Private lists before the public one: where a name is in both ("Obama" private,
    # "Barack Obama" public), private wins.
    at = 0 if teaching != "public" else _after_private_taught(kept)
    return [*kept[:at], new, *kept[at:]]


def forget(rules: Sequence[PrivacyRule], name: str) -> tuple[list[PrivacyRule], bool]:
    """`rules` without `name` in any taught list, and whether it was there."""
    key = normalize_name(name)
    out: list[PrivacyRule] = []
    found = False
    for rule in rules:
        if rule.name not in _TEACHING_OF:
            out.append(rule)
            continue
        names = [n for n in rule.names if normalize_name(n) != key]
        found = found or len(names) < len(rule.names)
        if names:
            out.append(rule.model_copy(update={"names": names}))
    return out, found


def refuse_identifier(name: str) -> None:
    """Raise `TandemError` when `name` holds a structured identifier (never public)."""
    from router.privacy.detectors.patterns import PatternDetector
    from router.privacy.detectors.registry import scan_text
    from router.privacy.detectors.secrets import SecretsDetector
    from router.privacy.detectors.web import UrlDetector

    found = scan_text(name, [PatternDetector(), SecretsDetector(), UrlDetector()])
    if found:
        kind = found[0].type.replace("_", " ").lower()
        article = "an" if kind[:1] in "aeiou" else "a"
        raise TandemError(
            f"{name!r} is {article} {kind}, and identifiers cannot be marked public",
            "mark a person's, place's or organisation's name instead",
        )


def _after_private_taught(rules: Sequence[PrivacyRule]) -> int:
    """The index just past the taught private rules at the top of `rules`."""
    at = 0
    while at < len(rules) and rules[at].name in ("taught-local", "taught-mine", "taught-private"):
        at += 1
    return at
