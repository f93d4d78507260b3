"""Privacy rules: which findings keep a turn local, keep it on my devices, get redacted, or
are allowed.

Rules are tried in order; the first rule that matches a finding decides that
finding. The turn's action is the strictest over its findings
(keep_local > keep_mine > redact > allow; zones.py says what each may reach).
The user's `[[privacy.rules]]` come before the shipped defaults in
`assets/privacy_rules.toml`, so the user wins.

A rule's `names` match a name finding (PERSON, LOCATION, ORGANIZATION,
NAME_LIKE) whose text is one of them, folded as `public.normalize_name` folds
it; never a structured identifier, so no rule can allow a card or an e-mail by
naming it. A rule that redacts or keeps local also matches a name that contains
one of its names as whole words ("Obama" in "Barack Obama"), and its names are
looked for in the text like keywords, so a name no detector sees is still caught.

A `redact` decision on a finding that has no value to replace (a `TOPIC` or an
`IMAGE`) is treated as `allow`: a placeholder needs a span of text to stand for.
`keep_mine` needs no span: it says where the turn may go, not what to replace.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from router.privacy.public import NAME_TYPES, normalize_name
from router.privacy.zones import STRICTNESS, kept_note
from router.types import Finding, FindingAction

KEYWORD = "KEYWORD"
VALUELESS_TYPES = frozenset({"TOPIC", "IMAGE", "ATTACHMENT", "TOOL_RESULT"})
"""Finding types without a text span worth replacing: redacting them means allowing them."""


class PrivacyRule(BaseModel):
    """One rule: what it matches (every non-empty criterion must match) and what it does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Short name shown when the rule fires.")
    enabled: bool = Field(default=True, description="Disabled rules are skipped.")
    types: list[str] = Field(default=[], description="Finding types, e.g. `CREDIT_CARD`.")
    categories: list[str] = Field(default=[], description="Topic categories, e.g. `health`.")
    paths: list[str] = Field(default=[], description="Glob patterns for attachment paths.")
    mcp_servers: list[str] = Field(default=[], description="MCP servers whose results match.")
    mcp_tools: list[str] = Field(default=[], description="MCP tools whose results match.")
    sessions: list[str] = Field(default=[], description="Session ids the rule applies to.")
    keywords: list[str] = Field(
        default=[],
        description="Words or phrases (any case, whole words) that make the rule fire, e.g. "
        "`project Falcon`; the scan reports them as `KEYWORD` findings of this rule.",
    )
    names: list[str] = Field(
        default=[],
        description="Names (any case) of people, places, organisations or works, e.g. "
        "`Tom Hargreaves`: the rule decides a name finding that is one of them.",
    )
    action: FindingAction = Field(
        description="`keep_local` (this device), `keep_mine` (this device and the edges marked "
        "`mine`), `redact` or `allow`."
    )
    reason: str = Field(description="Why, for people: e.g. `contains a card number`.")


@dataclass(frozen=True)
class RuleSubject:
    """What a rule is matched against: a finding plus where it came from."""

    type: str
    category: str = ""
    path: str | None = None
    mcp_server: str | None = None
    mcp_tool: str | None = None
    session_id: str | None = None
    value: str = ""
    """The finding's text, for rules with `names`."""

    @classmethod
    def of(cls, finding: Finding, *, value: str = "", **where: str | None) -> RuleSubject:
        """Return the subject for `finding` (its text `value`), with path/server/tool/session."""
        return cls(type=finding.type, category=finding.category, value=value, **where)


def _category_matches(categories: Sequence[str], category: str) -> bool:
    """`general:health` (a general question, general.py) matches `general` and `health`."""
    if category in categories:
        return True
    head, _, topic = category.partition(":")
    return bool(topic) and (head in categories or topic in categories)


def rule_matches(rule: PrivacyRule, subject: RuleSubject) -> bool:
    """True when every non-empty criterion of `rule` matches `subject`."""
    if not rule.enabled:
        return False
    if rule.keywords and not (subject.type == KEYWORD and subject.category == rule.name):
        return False
    if rule.names and not _names_match(rule, subject):
        return False
    if rule.types and subject.type not in rule.types:
        return False
    if rule.categories and not _category_matches(rule.categories, subject.category):
        return False
    if rule.paths and not (subject.path and any(fnmatch(subject.path, p) for p in rule.paths)):
        return False
    if rule.mcp_servers and subject.mcp_server not in rule.mcp_servers:
        return False
    if rule.mcp_tools and subject.mcp_tool not in rule.mcp_tools:
        return False
    return not (rule.sessions and subject.session_id not in rule.sessions)


def _names_match(rule: PrivacyRule, subject: RuleSubject) -> bool:
    """`subject` is one of the rule's names (its own keyword finding, or a name finding)."""
    if subject.type == KEYWORD:
        return subject.category == rule.name and rule.action != "allow"
    if subject.type not in NAME_TYPES:
        return False  # an identifier is never decided by a name rule: it can't be allowed
    value = normalize_name(subject.value)
    names = {normalize_name(name) for name in rule.names} - {""}
    if value in names:
        return True
    # When in doubt, private wins: "Obama" taught private also redacts "Barack Obama".
    return rule.action != "allow" and any(
        re.search(rf"(?<!\w){re.escape(name)}(?!\w)", value) for name in names
    )


@dataclass(frozen=True)
class RuleDecision:
    """What the rules decided for one subject."""

    action: FindingAction
    rule: PrivacyRule | None


class PrivacyVerdict(BaseModel):
    """The rules' decision on a whole turn."""

    model_config = ConfigDict(frozen=True)

    action: FindingAction = Field(default="allow", description="The strictest action.")
    rule: str = Field(default="", description="Name of the rule that set the action.")
    reason: str = Field(default="nothing sensitive found", description="The rule's reason.")

    @property
    def summary(self) -> str:
        """One line for people, e.g. `kept local: contains a card number`."""
        if self.action in ("keep_local", "keep_mine"):
            return kept_note(self.action, self.reason)
        if self.action == "redact":
            return f"redacted then sent: {self.reason}"
        return self.reason


class RuleSet:
    """An ordered list of rules; the first match wins per subject."""

    def __init__(self, rules: Iterable[PrivacyRule]) -> None:
        self.rules: tuple[PrivacyRule, ...] = tuple(rules)
        self._keywords = [
            (rule.name, _keyword_pattern(words))
            for rule in self.rules
            if rule.enabled and (words := _searched_words(rule))
        ]

    def keyword_findings(self, text: str) -> list[Finding]:
        """Findings for the rules' own keywords in `text` (type `KEYWORD`, category = rule)."""
        return [
            Finding(
                type=KEYWORD,
                category=name,
                start=m.start(),
                end=m.end(),
                confidence=1.0,
                detector="rule-keywords",
            )
            for name, pattern in self._keywords
            for m in pattern.finditer(text)
        ]

    def decide(self, subject: RuleSubject) -> RuleDecision:
        """Return the first matching rule's action, or `allow` when none matches."""
        for rule in self.rules:
            if rule_matches(rule, subject):
                action = rule.action
                if action == "redact" and subject.type in VALUELESS_TYPES:
                    action = "allow"  # nothing to put a placeholder on; see module docstring
                return RuleDecision(action, rule)
        return RuleDecision("allow", None)

    def verdict(self, decisions: Sequence[RuleDecision]) -> PrivacyVerdict:
        """Return the strictest of `decisions` (earliest wins ties) as the turn's verdict."""
        best: RuleDecision | None = None
        for decision in decisions:
            if decision.rule is None:
                continue
            if best is None or STRICTNESS[decision.action] > STRICTNESS[best.action]:
                best = decision
        if best is None or best.rule is None or best.action == "allow":
            return PrivacyVerdict()
        return PrivacyVerdict(action=best.action, rule=best.rule.name, reason=best.rule.reason)


def _searched_words(rule: PrivacyRule) -> list[str]:
    """What the scan looks for in the text for `rule`: its keywords, and the names it hides."""
    hidden = rule.names if rule.action != "allow" else []
    return [word for word in [*rule.keywords, *hidden] if word.strip()]


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    # Whitespace inside a phrase matches any run of whitespace ("project  Falcon").
    phrases = [r"\s+".join(map(re.escape, k.split())) for k in keywords if k.strip()]
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)", re.IGNORECASE)


def default_rules() -> list[PrivacyRule]:
    """Return the shipped default rules from `assets/privacy_rules.toml`."""
    text = resources.files("assets").joinpath("privacy_rules.toml").read_text("utf-8")
    return [PrivacyRule(**raw) for raw in tomllib.loads(text).get("rules", [])]


def build_rules(user_rules: Sequence[PrivacyRule] = ()) -> RuleSet:
    """Return the user's rules followed by the defaults, so the user's win."""
    return RuleSet([*user_rules, *default_rules()])
