"""The Privacy section's state: the user's rules, the detector switches, a test bench, the log.

Plain Python (no Flet): the view renders this and forwards clicks. Every
change is validated, written to the user's config.toml and applied to the
running pipeline, so the next chat turn follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from router import (
    Finding,
    FindingAction,
    PrivacyReport,
    PrivacyRule,
    Runtime,
    TandemError,
    TurnRequest,
    default_rules,
    save_and_apply,
)
from router.privacy.rules import RuleSubject
from router.privacy.zones import STRICTNESS

NamesMode = Literal["strict", "standard"]
JudgeMode = Literal["off", "device"]
_LIST_FIELDS = ("types", "categories", "keywords", "names", "paths", "mcp_servers", "mcp_tools")


@dataclass
class RuleForm:
    """A rule as typed into the editor: lists are comma-separated text."""

    name: str = ""
    action: FindingAction = "keep_local"
    reason: str = ""
    types: str = ""
    categories: str = ""
    keywords: str = ""
    names: str = ""
    """Names of people, places or organisations (the chat's panel and `privacy teach` add them)."""
    paths: str = ""
    mcp_servers: str = ""
    mcp_tools: str = ""
    enabled: bool = True

    @classmethod
    def of(cls, rule: PrivacyRule) -> RuleForm:
        """The form showing `rule`, for editing it."""
        lists = {name: ", ".join(getattr(rule, name)) for name in _LIST_FIELDS}
        return cls(
            name=rule.name, action=rule.action, reason=rule.reason, enabled=rule.enabled, **lists
        )

    def to_rule(self) -> PrivacyRule:
        """The rule this form describes; raises `TandemError` saying what to fix."""
        if not self.name.strip():
            raise TandemError("the rule needs a name", "type a short name, e.g. `project-falcon`")
        if not self.reason.strip():
            raise TandemError("the rule needs a reason", "say why, e.g. `mentions Project Falcon`")
        lists = {name: _split(getattr(self, name)) for name in _LIST_FIELDS}
        if not any(lists.values()):
            raise TandemError(
                "the rule matches nothing",
                "give keywords, names, finding types (e.g. EMAIL_ADDRESS), topics or paths",
            )
        try:
            return PrivacyRule(
                name=self.name.strip(),
                action=self.action,
                reason=self.reason.strip(),
                enabled=self.enabled,
                **lists,
            )
        except ValidationError as exc:
            raise TandemError(f"invalid rule: {exc.errors()[0]['msg']}", "fix it") from exc


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


@dataclass(frozen=True)
class Segment:
    """A piece of the tested text; `finding` is set where a detector found something."""

    text: str
    finding: str | None = None
    action: FindingAction | None = None


@dataclass(frozen=True)
class TestResult:
    """What the scan found in a sample text and what the turn would do."""

    action: FindingAction
    summary: str
    segments: tuple[Segment, ...]
    findings: tuple[str, ...]
    """One line per finding: type, text, action and the rule that decided."""


@dataclass(frozen=True)
class LogEntry:
    """A past turn that a privacy rule kept on the device, on the user's devices, or
    redacted."""

    when: datetime
    action: FindingAction
    reason: str
    endpoint: str
    excerpt: str
    redactions: tuple[str, ...] = ()


@dataclass
class PrivacyViewModel:
    """State and actions of the Privacy section for one page."""

    runtime: Runtime
    on_change: Callable[[], None] = field(default=lambda: None)
    rules: list[PrivacyRule] = field(init=False)
    error: str | None = None
    notice: str = ""
    test: TestResult | None = None
    testing: bool = False

    def __post_init__(self) -> None:
        self.rules = list(self.runtime.settings.privacy.rules)

    @property
    def default_rules(self) -> list[PrivacyRule]:
        """The shipped rules, tried after the user's (read-only here)."""
        return default_rules()

    @property
    def ner(self) -> bool:
        """Whether names, places and organisations are detected (NER)."""
        return self.runtime.settings.privacy.ner

    @property
    def ner_missing(self) -> str | None:
        """Why names are not detected by NER and the command that fixes it; None when installed.

        Shown as a banner: without the `ner` extra the scan falls back to the
        name-like-word heuristics, which the user must be told.
        """
        from router.privacy.detectors.ner import unavailable_notice

        notice = unavailable_notice()
        return notice[0].upper() + notice[1:] if notice else None

    @property
    def topics(self) -> bool:
        """Whether sensitive topics (health, ...) are detected."""
        return self.runtime.settings.privacy.topics

    @property
    def names(self) -> NamesMode:
        """`strict` or `standard` name-like word redaction."""
        return self.runtime.settings.privacy.names

    @property
    def judge(self) -> JudgeMode:
        """`device` when the device's model judges public names whose context leaves doubt."""
        return self.runtime.settings.privacy.judge

    # --- rules -------------------------------------------------------------------

    def add_rule(self, form: RuleForm) -> bool:
        """Add the rule at the top (user rules are tried first); True when saved."""
        return self._edit(lambda rules: [form.to_rule(), *rules], "rule added")

    def update_rule(self, index: int, form: RuleForm) -> bool:
        """Replace rule `index` with the form's; True when saved."""
        return self._edit(lambda rules: _replaced(rules, index, form.to_rule()), "rule saved")

    def delete_rule(self, index: int) -> bool:
        """Remove rule `index`; True when saved."""
        return self._edit(lambda rules: rules[:index] + rules[index + 1 :], "rule deleted")

    def move_rule(self, index: int, offset: int) -> bool:
        """Move rule `index` up (-1) or down (+1): order decides which rule wins."""
        target = index + offset
        if not 0 <= target < len(self.rules):
            return False
        rules = list(self.rules)
        rules.insert(target, rules.pop(index))
        return self._edit(lambda _: rules, "order saved")

    def set_enabled(self, index: int, enabled: bool) -> bool:
        """Switch rule `index` on or off."""
        rule = self.rules[index].model_copy(update={"enabled": enabled})
        return self._edit(lambda rules: _replaced(rules, index, rule), "rule saved")

    def _edit(self, change: Callable[[list[PrivacyRule]], list[PrivacyRule]], done: str) -> bool:
        try:
            rules = change(list(self.rules))
            names = [r.name for r in rules]
            if len(set(names)) != len(names):
                raise TandemError("two rules have the same name", "give each rule its own name")
            dumped = [r.model_dump(exclude_defaults=True) for r in rules]
            # An empty list must be written too, or the old rules would stay in the file.
            self._save({"rules": dumped})
        except TandemError as exc:
            self._fail(exc)
            return False
        self.rules = rules
        self.notice = f"{done}; applies from the next message"
        self.on_change()
        return True

    # --- detectors ---------------------------------------------------------------

    def set_detectors(
        self,
        *,
        ner: bool | None = None,
        topics: bool | None = None,
        names: NamesMode | None = None,
        judge: JudgeMode | None = None,
    ) -> bool:
        """Switch detectors (the name judge too); None leaves one as it is. True when saved."""
        changes: dict[str, object] = {"ner": ner, "topics": topics, "names": names, "judge": judge}
        try:
            self._save({k: v for k, v in changes.items() if v is not None})
        except TandemError as exc:
            self._fail(exc)
            return False
        self.notice = "detectors saved; applies from the next message"
        self.on_change()
        return True

    def _save(self, privacy: dict[str, object]) -> None:
        save_and_apply(self.runtime, {"privacy": privacy})
        self.error = None

    def _fail(self, exc: TandemError) -> None:
        self.error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        self.notice = ""
        self.on_change()

    # --- test bench --------------------------------------------------------------

    async def test_text(self, text: str) -> TestResult:
        """Scan `text` as a chat message would be; the detectors run in a worker thread."""
        self.testing = True
        self.on_change()
        try:
            scanner = self.runtime.pipeline.scanner
            # Names in doubt go to the device model when the judge is on, as in a turn.
            report = await scanner.scan_judged(
                TurnRequest(text=text, session_id="privacy-test"), []
            )
            self.test = self._result(text, report)
        finally:
            self.testing = False
            self.on_change()
        return self.test

    def _result(self, text: str, report: PrivacyReport) -> TestResult:
        scanner = self.runtime.pipeline.scanner
        found = sorted((f for f in report.findings if f.part == "text"), key=lambda f: f.start)
        lines, spans = [], []
        for finding in found:
            value = text[finding.start : finding.end]
            decision = scanner.rules.decide(RuleSubject.of(finding, value=value))
            rule = decision.rule.name if decision.rule else "no rule"
            label = finding.category if finding.type == "TOPIC" else value
            lines.append(f"{finding.type}: {label!r} -> {decision.action} ({rule})")
            spans.append((finding, decision.action))
        if report.action == "keep_local":
            summary = f"kept on this device: {report.reason}"
        elif report.action == "keep_mine":
            summary = f"kept on your devices (this one and those marked mine): {report.reason}"
        elif report.action == "redact":
            summary = f"redacted, then may be sent: {report.reason}"
        else:
            summary = "may be sent as is: " + (report.reason or "nothing sensitive found")
        return TestResult(report.action, summary, _segments(text, spans), tuple(lines))

    # --- log -----------------------------------------------------------------------

    def log(self, limit: int = 100) -> list[LogEntry]:
        """Turns a rule kept local or redacted, newest first."""
        ledger = self.runtime.ledger
        entries = []
        for session in ledger.sessions():
            for turn in ledger.turns(session.id):
                route = turn.route
                if route is None or (route.privacy_action == "allow" and not route.redactions):
                    continue
                excerpt = " ".join(turn.user_text.split())
                entries.append(
                    LogEntry(
                        when=turn.created_at,
                        action=route.privacy_action,
                        reason=route.reason,
                        endpoint=route.endpoint,
                        excerpt=excerpt if len(excerpt) <= 80 else excerpt[:79] + "…",
                        redactions=route.redactions,
                    )
                )
        entries.sort(key=lambda e: e.when, reverse=True)
        return entries[:limit]


def _replaced(rules: list[PrivacyRule], index: int, rule: PrivacyRule) -> list[PrivacyRule]:
    return [rule if i == index else r for i, r in enumerate(rules)]


def _segments(text: str, spans: list[tuple[Finding, FindingAction]]) -> tuple[Segment, ...]:
    """Cut `text` into plain and found pieces; overlapping and topic findings are skipped."""
    pieces: list[Segment] = []
    at = 0
    # Where detectors overlap (a keyword inside a name NER found), the strictest shows.
    for finding, action in sorted(spans, key=lambda s: (s[0].start, -STRICTNESS[s[1]])):
        if finding.type == "TOPIC" or finding.start < at or finding.end <= finding.start:
            continue
        if finding.start > at:
            pieces.append(Segment(text[at : finding.start]))
        pieces.append(Segment(text[finding.start : finding.end], finding.type, action))
        at = finding.end
    if at < len(text):
        pieces.append(Segment(text[at:]))
    return tuple(pieces)
