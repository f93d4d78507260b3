"""Stage 1, `privacy.scan`: find sensitive data in every part of a turn.

Scanned: the new message, its attachments (their names and extracted text; images
become an `IMAGE` finding; a file that cannot be parsed becomes an `UNREADABLE`
finding and keeps the turn local, since it could not be checked), and every
history message the packed context may carry: their text (system summaries
included), attachments and tool results. History matters because packing sends
it along with the new message.

What to look for is a list of `Detector`s (default: `default_detectors()`);
attachment extraction is a function. Both modules are imported lazily, so
importing the pipeline stays cheap; tests pass `FunctionDetector(fake)`.

A name on the public list whose context leaves it in doubt (public.py's
`Undecided`) stays private unless the scanner's judge called it public:
`scan_judged` asks the judge first (the device's own model, judge.py); `scan`
only uses the verdicts it already gave.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from router.privacy.cities import country_is_private
from router.privacy.describe import describe, placeholder_type, without_protected
from router.privacy.detectors.base import Detector
from router.privacy.detectors.normalize import find_normalized, normalize
from router.privacy.judge import NameJudge
from router.privacy.public import Classified, Undecided, classify_names, with_public
from router.privacy.rules import PrivacyVerdict, RuleDecision, RuleSet, RuleSubject, build_rules
from router.privacy.sniff import ExtractedText
from router.privacy.zones import stricter_value
from router.types import (
    Attachment,
    Finding,
    Message,
    MessagePart,
    PrivacyReport,
    ProtectedValue,
    TurnRequest,
)

log = logging.getLogger(__name__)

ExtractFn = Callable[[Attachment], ExtractedText]
"""Returns an attachment's text, its kind, and whether it could be read."""
UNREADABLE = "UNREADABLE"
"""Finding type of an attachment that could not be parsed: it keeps its turn local."""


@dataclass(frozen=True)
class _Part:
    """One piece of text to scan, and where it came from (for rules and reports)."""

    text: str
    part: MessagePart
    source: str
    path: str | None = None
    mcp_server: str | None = None
    mcp_tool: str | None = None
    raw: str = ""
    """What leaves the device, when `text` is a respelling of it with the same offsets."""


def _default_detectors() -> list[Detector]:
    """`registry.default_detectors()`, imported here so importing the pipeline stays cheap."""
    from router.privacy.detectors.registry import default_detectors

    return default_detectors()


@dataclass(frozen=True)
class Scanned:
    """A scan's report, and the names it left undecided (private until a judge says public)."""

    report: PrivacyReport
    undecided: tuple[Undecided, ...] = ()


@dataclass
class _Tally:
    """What one scan gathers, part after part."""

    findings: list[Finding] = field(default_factory=list)
    decisions: list[RuleDecision] = field(default_factory=list)
    protected: dict[str, ProtectedValue] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)


@dataclass
class Scanner:
    """Scans turns with detectors and decides with rules; one per pipeline."""

    rules: RuleSet = field(default_factory=build_rules)
    detectors: Sequence[Detector] = field(default_factory=_default_detectors)
    """Run on every text through `registry.scan_text` (normalized, overlaps resolved)."""
    extract: ExtractFn | None = None
    judge: NameJudge | None = None
    """Decides names left undecided (`[privacy] judge`); None: they stay private."""

    def scan(
        self, request: TurnRequest, history: Sequence[Message], session_id: str | None = None
    ) -> PrivacyReport:
        """Return the findings, the verdict and the protected values for a turn.

        Names left undecided are public only where the judge already said so.
        """
        return self.scan_names(request, history, session_id).report

    async def scan_judged(
        self,
        request: TurnRequest,
        history: Sequence[Message],
        session_id: str | None = None,
        *,
        judge: bool = True,
    ) -> PrivacyReport:
        """`scan` in a worker thread; then the judge decides the names it left undecided.

        One prompt for the turn's undecided names, then the turn is scanned again
        with the verdicts (the detectors' findings are cached, so that is cheap).
        No judge, `judge` False, or a turn kept local anyway: the scan as it is.
        """
        scanned = await asyncio.to_thread(self.scan_names, request, history, session_id)
        if self.judge is None or not judge or not scanned.undecided or scanned.report.keep_local:
            return scanned.report
        await self.judge.decide(scanned.undecided)
        if not any(self.judge.said_public(name) for name in scanned.undecided):
            return scanned.report
        return (await asyncio.to_thread(self.scan_names, request, history, session_id)).report

    def scan_names(
        self, request: TurnRequest, history: Sequence[Message], session_id: str | None = None
    ) -> Scanned:
        """`scan`'s report, with the names it left undecided."""
        session_id = session_id or request.session_id
        tally = _Tally()
        for part, sources in _parts(request, history, self._extractor()):
            for subject in sources:  # attachment/tool-result level: rules on paths or servers
                tally.decisions.append(self.rules.decide(_with_session(subject, session_id)))
                if subject.type in ("IMAGE", UNREADABLE):
                    tally.findings.append(_whole_file_finding(subject.type, subject.path or ""))
                if subject.type == UNREADABLE:
                    tally.unreadable.append(Path(subject.path or "").name)
            if part is not None:
                self._scan_part(part, session_id, tally)
        verdict = _fail_closed(self.rules.verdict(tally.decisions), tally.unreadable)
        values = without_protected([p for p in tally.protected.values() if p.action != "allow"])
        local_only: dict[str, None] = {}
        for p in values:
            for v in (p.value, *p.variants):
                local_only[v] = None
        report = PrivacyReport(
            findings=tuple(tally.findings),
            keep_local=verdict.action == "keep_local",
            local_only_values=tuple(local_only),
            reason=verdict.reason,
            action=verdict.action,
            rule=verdict.rule,
            protected=tuple(values),
        )
        return Scanned(report, tuple(tally.undecided))

    def _scan_part(self, part: _Part, session_id: str, tally: _Tally) -> None:
        """Find, decide and protect what one piece of text holds."""
        found = self._settled(_detect(tuple(self.detectors), part.text), tally.undecided)
        for raw in [*found, *_keywords(self.rules, part.text)]:
            finding = raw.model_copy(update={"part": part.part, "source": part.source})
            tally.findings.append(finding)
            decision = self.rules.decide(
                RuleSubject.of(
                    finding,
                    path=part.path,
                    mcp_server=part.mcp_server,
                    mcp_tool=part.mcp_tool,
                    session_id=session_id,
                    value=part.text[finding.start : finding.end],
                )
            )
            tally.decisions.append(decision)
            value = (part.raw or part.text)[finding.start : finding.end]
            if decision.action != "allow" and value.strip():
                described = describe(part.text, finding, self._country_private)
                type_ = placeholder_type(finding.type, described)
                _protect(tally.protected, type_, value, decision, described)

    def _settled(self, classified: Classified, pending: list[Undecided]) -> tuple[Finding, ...]:
        """The findings with the judge's public verdicts applied; the other names to `pending`."""
        judge = self.judge
        said = [n for n in classified.undecided if judge is not None and judge.said_public(n)]
        left = [n for n in classified.undecided if n not in said]
        pending.extend(left)
        return with_public(classified.findings, said, left) if said else classified.findings

    def _country_private(self, country: str) -> bool:
        """A city's description leaves `country` out: these rules would not send it."""
        return country_is_private(self.rules, country)

    def _extractor(self) -> ExtractFn:
        if self.extract is None:
            self.extract = _default_extractor()
        return self.extract


def scan(request: TurnRequest, history: Sequence[Message]) -> PrivacyReport:
    """Return the findings for the request and the history it may carry (default rules)."""
    return Scanner().scan(request, history)


def _fail_closed(verdict: PrivacyVerdict, unreadable: Sequence[str]) -> PrivacyVerdict:
    """Keep the turn local when an attachment could not be read: it could not be checked.

    Not a rule users can relax: an unparsed file may hold anything.
    """
    if not unreadable or verdict.action == "keep_local":
        return verdict
    names = ", ".join(dict.fromkeys(unreadable))
    reason = f"{names} could not be read, so it could not be checked"
    return PrivacyVerdict(action="keep_local", rule="unreadable-attachment", reason=reason)


def _keywords(rules: RuleSet, text: str) -> list[Finding]:
    """The rules' keyword findings in `text`, looked for in its normalized form too."""
    return find_normalized(rules.keyword_findings, text)


def _with_session(subject: RuleSubject, session_id: str) -> RuleSubject:
    return RuleSubject(
        type=subject.type,
        category=subject.category,
        path=subject.path,
        mcp_server=subject.mcp_server,
        mcp_tool=subject.mcp_tool,
        session_id=session_id,
    )


def _protect(
    protected: dict[str, ProtectedValue],
    type_: str,
    value: str,
    decision: RuleDecision,
    description: str = "",
) -> None:
    """Record `value`; a value seen twice keeps the stricter action and its first description.

    Stricter for a value (zones.py): keep_local, then redact (its text reaches no other
    device), then keep_mine. The description comes with its type (`[CITY_1, a city in
    Norway]`, not `[NAME_LIKE_1, ...]`).
    """
    current = protected.get(value)
    if current is not None and stricter_value(current.action, decision.action) == current.action:
        if description and not current.description:
            update = {"description": description, "type": type_}
            protected[value] = current.model_copy(update=update)
        return
    kept = current if current and current.description and not description else None
    protected[value] = ProtectedValue(
        type=kept.type if kept else type_,
        value=value,
        action=decision.action,
        variants=_variants(type_, value),
        description=kept.description if kept else description,
    )


def _variants(type_: str, value: str) -> tuple[str, ...]:
    """Cheap other spellings a model or serializer could produce; never shorter than 4."""
    out: list[str] = []
    stripped = value.strip()
    if stripped != value:
        out.append(stripped)
    plain = normalize(stripped).text  # a hidden value, as a model would write it back
    if plain != stripped:
        out.append(plain)
    digits = "".join(c for c in plain if c.isdigit())
    if len(digits) >= 6 and digits != stripped and len(digits) >= 0.6 * len(plain):
        out.append(digits)  # a card or phone number written without its separators
    if "EMAIL" in type_ and stripped.lower() != stripped:
        out.append(stripped.lower())
    return tuple(dict.fromkeys(v for v in out if len(v) >= 4))


def _parts(
    request: TurnRequest, history: Sequence[Message], extract: ExtractFn
) -> list[tuple[_Part | None, list[RuleSubject]]]:
    """Every scannable piece of the turn, with the source-level rule subjects it adds."""
    parts: list[tuple[_Part | None, list[RuleSubject]]] = [
        (_Part(request.text, "text", "prompt"), [])
    ]
    parts += _attachment_parts(request.attachments, "", extract)
    tool_names: dict[str, str] = {}
    for i, message in enumerate(history):
        source = f"history[{i}]"
        parts.append((_Part(message.content, "history", source), []))
        parts += _attachment_parts(message.attachments, f"{source}:", extract)
        for call in message.tool_calls:
            tool_names[call.id] = call.name
        for j, result in enumerate(message.tool_results):
            server, tool = _split_tool(tool_names.get(result.call_id, ""))
            subject = RuleSubject(type="TOOL_RESULT", mcp_server=server, mcp_tool=tool)
            part = _Part(
                result.content, "tool_result", f"{source}.tool_results[{j}]", None, server, tool
            )
            parts.append((part, [subject]))
    return parts


def _attachment_parts(
    attachments: Sequence[Attachment], prefix: str, extract: ExtractFn
) -> list[tuple[_Part | None, list[RuleSubject]]]:
    out: list[tuple[_Part | None, list[RuleSubject]]] = []
    for attachment in attachments:
        path = attachment.path or attachment.name
        subjects = [RuleSubject(type="ATTACHMENT", path=path)]
        # What the file is comes from its bytes (the send path decides the same way).
        extracted = extract(attachment)
        if extracted.kind == "image":
            # An image cannot be scanned for text here; rules decide it as a whole.
            subjects.append(RuleSubject(type="IMAGE", path=path))
        if extracted.unreadable:
            subjects.append(RuleSubject(type=UNREADABLE, path=path))
        text, source = extracted.text, prefix + attachment.name
        part = _Part(text, "attachment", source, path) if text else None
        out.append((part, subjects))
        for name in file_name_texts(attachment.name):
            out.append((_Part(name, "attachment", source, path, raw=attachment.name), []))
    return out


def file_name_texts(name: str) -> list[str]:
    """The part of a file name that can hold private data: its stem, as is and `_` as spaces.

    The name leaves with the file (the endpoints name it), so it is scanned like its
    text, and a value found there is protected as the name spells it. Offsets are the
    name's own: the stem is its prefix and `_` becomes one space. Both readings count:
    "Ana_Souza" is a name only with spaces, "ana_souza@example.org" an address only
    without. The extension is left out: "txt" or "docx" would read as rare words.
    """
    stem = Path(name).stem
    return list(dict.fromkeys([stem, stem.replace("_", " ")]))


def _whole_file_finding(type_: str, source: str) -> Finding:
    """An image or unreadable attachment: no text span, decided as a whole."""
    return Finding(
        type=type_,
        start=0,
        end=0,
        part="attachment",
        confidence=1.0,
        detector="sniff",
        source=source,
    )


def _split_tool(name: str) -> tuple[str | None, str | None]:
    """`server__tool` or `server.tool` -> (server, tool); a bare name is just a tool."""
    if not name:
        return None, None
    for sep in ("__", "."):
        if sep in name:
            server, tool = name.split(sep, 1)
            return server, tool
    return None, name


def _detect(detectors: tuple[Detector, ...], text: str) -> Classified:
    """The findings of `detectors` in `text`; cached when the detectors are hashable."""
    try:
        hash(detectors)
    except TypeError:
        return _scan_text(detectors, text)
    return _scan_text_cached(detectors, text)


def _scan_text(detectors: tuple[Detector, ...], text: str) -> Classified:
    """The findings in `text`: public names and general topics marked, names in doubt listed."""
    from router.privacy.detectors.registry import scan_text
    from router.privacy.general import mark_general_topics

    classified = classify_names(text, scan_text(text, detectors))
    topics = tuple(mark_general_topics(text, classified.findings))
    return replace(classified, findings=topics)


# Every turn rescans the history it may carry; caching by text makes that a lookup
# for all but the newest messages (findings are immutable). Keyed by the detectors
# too, so scanners with equal detector lists share it, across settings changes.
_scan_text_cached = functools.lru_cache(maxsize=2048)(_scan_text)


def _default_extractor() -> ExtractFn:
    """The attachments module's `extract_text`, imported here so the pipeline stays cheap."""
    from router.privacy.attachments import extract_text

    return extract_text
