"""The names a question held, for the detail panel, and the user's one-click lessons on them.

For the answer whose panel is open, the question is scanned again with the
running scanner (the findings are cached, so this is a lookup for a turn just
asked) and every name it found is listed with what the rules do with it now:
sent as it is (public knowledge, or taught public), redacted, or kept on this
device. "Send it next time" teaches the name public, "Never send it" private;
the choice is saved with `save_and_apply`, so the next turn follows it without a
restart, and it shows in Privacy settings as a `taught-*` rule. A conversation
that already masked a name keeps its placeholder (redact.py keeps a session's
placeholders stable), so a name taught public goes out as it is in new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from router import FindingAction, Runtime, TandemError, TurnRequest, save_and_apply
from router.privacy.public import NAME_TYPES, normalize_name
from router.privacy.rules import KEYWORD, RuleSubject
from router.privacy.taught import Teaching, taught_names, teach

_DOES = {
    "allow": "sent as it is",
    "redact": "redacted before sending",
    "keep_local": "keeps the turn on this device",
    "keep_mine": "keeps the turn on your devices",
}


@dataclass(frozen=True)
class FoundName:
    """One name in a question, what the rules do with it now, and what the user taught."""

    text: str
    type: str
    action: FindingAction
    rule: str
    taught: Teaching | None = None

    @property
    def line(self) -> str:
        """The name in words, e.g. `Barack Obama (PERSON): sent as it is (public-knowledge)`."""
        return f"{self.text} ({self.type}): {_DOES[self.action]} ({self.rule or 'no rule'})"


@dataclass
class NameTeacher:
    """The names of the open answer's question, and teaching them; no Flet here."""

    runtime: Runtime
    on_change: Callable[[], None] = field(default=lambda: None)
    question: str = ""
    found: tuple[FoundName, ...] = ()
    notice: str = ""
    error: str | None = None

    def load(self, question: str) -> None:
        """List the names in `question` as the running rules decide them now."""
        if question != self.question:
            self.notice, self.error = "", None
        self.question = question
        self.found = names_in(self.runtime, question) if question else ()

    def teach(self, name: str, teaching: Teaching) -> bool:
        """Save `name` as public or private from the next turn; True when saved."""
        try:
            rules = teach(self.runtime.settings.privacy.rules, name, teaching)
            dumped = [rule.model_dump(exclude_defaults=True) for rule in rules]
            save_and_apply(self.runtime, {"privacy": {"rules": dumped}})
        except TandemError as exc:
            self.error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            self.notice = ""
            self.on_change()
            return False
        if teaching == "public":
            # A conversation keeps a value's placeholder once given, so its answers stay
            # consistent (redact.py); the name goes out as it is where it is not masked yet.
            said = "be sent as it is, except in a conversation that already masked it"
        else:
            said = "never be sent, from the next message"
        self.notice = f"{name} will {said} (see Privacy settings)"
        self.error = None
        self.load(self.question)
        self.on_change()
        return True


def names_in(runtime: Runtime, question: str) -> tuple[FoundName, ...]:
    """Each distinct name in `question`, decided by the running scanner's rules."""
    scanner = runtime.pipeline.scanner
    report = scanner.scan(TurnRequest(text=question, session_id="name-teacher"), [])
    taught = {normalize_name(n): t for n, t in taught_names(runtime.settings.privacy.rules)}
    found: dict[str, FoundName] = {}
    for finding in sorted(report.findings, key=lambda f: f.start):
        if finding.part != "text" or not (finding.type in NAME_TYPES or finding.type == KEYWORD):
            continue
        value = question[finding.start : finding.end]
        key = normalize_name(value)
        if finding.type == KEYWORD and key not in taught:
            continue  # a keyword rule of the user's own, not a name
        decision = scanner.rules.decide(RuleSubject.of(finding, value=value))
        rule = decision.rule.name if decision.rule else ""
        if key and key not in found:
            found[key] = FoundName(value, finding.type, decision.action, rule, taught.get(key))
    return tuple(found.values())
