"""Offline evaluation of the privacy detectors and rules.

Two datasets (see `shared/data/pii/`):

* Presidio synthetic dataset (`presidio_synth_dataset_v2.json`): span-level
  precision / recall / F1, Tandem and Presidio's `AnalyzerEngine` scored in the
  same run on the same texts with the same rule.
* PUPA (`PUPA_New.csv`): leakage of the annotated PII units under the default
  rules, and how many rows go to the cloud (redacted or allowed) vs stay local.

Matching rule (identical for every system). Gold and predicted types are first
mapped to a canonical type by `TYPE_MAP` (`GPE`, `LOCATION`, `STREET_ADDRESS`
and `ADDRESS` all become `LOCATION`, following presidio-research; `EMAIL_ADDRESS`
-> `EMAIL`, `US_SSN` -> `SSN`, `IBAN_CODE` -> `IBAN`, `DOMAIN_NAME` -> `URL`, ...).
A predicted span is correct when it overlaps (shares at least one character with,
i.e. IoU > 0) a gold span of the same canonical type; a gold span is found when
some predicted span of the same canonical type overlaps it. Precision = correct
predictions / predictions, recall = found gold spans / gold spans, both per type
and micro-averaged overall. Predictions whose canonical type never occurs in the
gold label space (e.g. `API_KEY`, `TOPIC`) are not scored.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from router.privacy.rules import RuleSet, RuleSubject, build_rules
from router.types import Finding

TYPE_MAP: dict[str, str] = {
    "GPE": "LOCATION", "LOC": "LOCATION", "STREET_ADDRESS": "LOCATION", "ADDRESS": "LOCATION",
    "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "US_SSN": "SSN", "IBAN_CODE": "IBAN",
    "DOMAIN_NAME": "URL", "IP": "IP_ADDRESS", "ORG": "ORGANIZATION", "PER": "PERSON",
    "ZIP": "ZIP_CODE", "POSTAL_CODE": "ZIP_CODE", "DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "US_PASSPORT": "PASSPORT",
}  # fmt: skip
"""Type aliases -> canonical evaluation type; a type not listed is its own canonical type."""


def canonical_type(entity_type: str) -> str:
    """Return the canonical evaluation type of a gold or predicted entity type."""
    upper = entity_type.upper()
    return TYPE_MAP.get(upper, upper)


@dataclass(frozen=True)
class Span:
    """A typed character span [start, end)."""

    type: str
    start: int
    end: int


@dataclass
class Example:
    """One text with its gold spans."""

    text: str
    spans: list[Span]


@dataclass
class TypeScore:
    """Counts and scores for one canonical type (or overall)."""

    predicted: int = 0
    correct: int = 0
    support: int = 0
    found: int = 0

    @property
    def precision(self) -> float:
        """Correct predictions / predictions (0 when nothing was predicted)."""
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """Found gold spans / gold spans (0 when there is no gold span)."""
        return self.found / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Return counts and scores as a JSON-ready dict."""
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.support,
            "predicted": self.predicted,
        }


@dataclass
class SpanScores:
    """Per-type and overall span scores of one system."""

    per_type: dict[str, TypeScore] = field(default_factory=dict)
    overall: TypeScore = field(default_factory=TypeScore)

    def as_dict(self) -> dict[str, Any]:
        """Return the scores as a JSON-ready dict."""
        return {
            "overall": self.overall.as_dict(),
            "per_type": {t: s.as_dict() for t, s in sorted(self.per_type.items())},
        }


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def score_spans(gold: Sequence[Sequence[Span]], predicted: Sequence[Sequence[Span]]) -> SpanScores:
    """Score predicted spans against gold spans, document by document (see module doc)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have one entry per document")
    label_space = {canonical_type(s.type) for doc in gold for s in doc}
    scores = SpanScores(per_type={t: TypeScore() for t in label_space})
    for gold_doc, pred_doc in zip(gold, predicted, strict=True):
        g = [Span(canonical_type(s.type), s.start, s.end) for s in gold_doc]
        p = [Span(canonical_type(s.type), s.start, s.end) for s in pred_doc]
        p = [s for s in p if s.type in label_space]
        for span in g:
            entry = scores.per_type[span.type]
            entry.support += 1
            entry.found += any(q.type == span.type and _overlaps(q, span) for q in p)
        for span in p:
            entry = scores.per_type[span.type]
            entry.predicted += 1
            entry.correct += any(q.type == span.type and _overlaps(q, span) for q in g)
    for entry in scores.per_type.values():
        scores.overall.predicted += entry.predicted
        scores.overall.correct += entry.correct
        scores.overall.support += entry.support
        scores.overall.found += entry.found
    return scores


def subsample(items: Sequence[Any], limit: int | None, seed: int = 0) -> list[Any]:
    """Return `limit` items chosen deterministically (order kept), or all of them."""
    if limit is None or limit >= len(items):
        return list(items)
    keep = sorted(random.Random(seed).sample(range(len(items)), limit))
    return [items[i] for i in keep]


def load_presidio_synth(path: str | Path) -> list[Example]:
    """Load the Presidio synthetic dataset (full_text + spans with positions)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        Example(
            text=row["full_text"],
            spans=[
                Span(s["entity_type"], int(s["start_position"]), int(s["end_position"]))
                for s in row.get("spans") or []
            ],
        )
        for row in raw
    ]


REDACTION_ONLY_TYPES = frozenset({"NAME_LIKE", "UNCHECKED_SCRIPT"})
"""Findings that widen redaction but name no entity type, so span scoring skips them."""


def findings_to_spans(findings: Iterable[Finding]) -> list[Span]:
    """Turn detector findings into spans for scoring (entity types only)."""
    return [Span(f.type, f.start, f.end) for f in findings if f.type not in REDACTION_ONLY_TYPES]


def evaluate_spans(
    examples: Sequence[Example], systems: dict[str, Callable[[str], list[Span]]]
) -> dict[str, SpanScores]:
    """Run every system on the same texts and score each with `score_spans`."""
    gold = [e.spans for e in examples]
    return {
        name: score_spans(gold, [predict(e.text) for e in examples])
        for name, predict in systems.items()
    }


# ---- PUPA leakage -------------------------------------------------------------

_PLACEHOLDER_PREFIX = "presidio_anonymized"
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")  # what `redact_spans` writes


@dataclass
class PupaRow:
    """One PUPA row: the user's query and the PII units annotated in it."""

    query: str
    pii_units: list[str]


@dataclass
class LeakageReport:
    """Leakage of PII units and where the rows went."""

    rows: int = 0
    kept_local: int = 0
    redacted: int = 0
    allowed: int = 0
    units: int = 0
    leaked: int = 0
    sent_chars: int = 0
    """Characters of the original queries that were sent (redacted or allowed)."""
    masked_chars: int = 0
    """Of those, characters replaced by placeholders: the utility given up."""

    @property
    def leakage_rate(self) -> float:
        """Share of scored PII units that would reach the cloud."""
        return self.leaked / self.units if self.units else 0.0

    @property
    def masked_share(self) -> float:
        """Share of the characters of cloud-bound queries hidden behind placeholders."""
        return self.masked_chars / self.sent_chars if self.sent_chars else 0.0

    @property
    def cloud_share(self) -> float:
        """Share of rows sent to the cloud (redacted or allowed)."""
        return (self.redacted + self.allowed) / self.rows if self.rows else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Return the report as a JSON-ready dict."""
        return {
            "rows": self.rows,
            "kept_local": self.kept_local,
            "redacted": self.redacted,
            "allowed": self.allowed,
            "cloud_share": round(self.cloud_share, 4),
            "units": self.units,
            "leaked": self.leaked,
            "leakage_rate": round(self.leakage_rate, 4),
            "masked_share": round(self.masked_share, 4),
        }


def load_pupa(path: str | Path) -> list[PupaRow]:
    """Load PUPA rows (user_query, "||"-joined pii_units)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [
            PupaRow(
                query=row["user_query"],
                pii_units=[u.strip() for u in row["pii_units"].split("||") if u.strip()],
            )
            for row in csv.DictReader(handle)
        ]


def scored_units(row: PupaRow) -> list[str]:
    """The units a row is scored on: present in the query, not Presidio placeholders."""
    query = row.query.lower()
    return [
        u
        for u in row.pii_units
        if u.lower() in query and not u.lower().startswith(_PLACEHOLDER_PREFIX)
    ]


def leakage(rows: Sequence[PupaRow], decide: Callable[[str], tuple[str, str]]) -> LeakageReport:
    """Measure leakage; `decide(query)` returns (decision, text sent to the cloud).

    decision is "keep_local" (nothing leaks), "redact" (units still present,
    case-insensitively, in the sent text leak) or "allow" (every unit leaks).
    """
    report = LeakageReport()
    for row in rows:
        units = scored_units(row)
        decision, sent = decide(row.query)
        report.rows += 1
        report.units += len(units)
        if decision == "keep_local":
            report.kept_local += 1
            continue
        if decision == "redact":
            report.redacted += 1
        else:
            report.allowed += 1
        lowered = sent.lower()
        report.leaked += sum(1 for u in units if u.lower() in lowered)
        report.sent_chars += len(row.query)
        kept = len(_PLACEHOLDER.sub("", sent))
        report.masked_chars += max(0, len(row.query) - kept)
    return report


def redact_spans(text: str, findings: Iterable[Finding]) -> str:
    """Replace each finding's span by `[TYPE]`, merging overlapping spans."""
    spans = sorted((f.start, f.end, f.type) for f in findings if f.end > f.start)
    merged: list[list[Any]] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, kind])
    out, cursor = [], 0
    for start, end, kind in merged:
        out.append(text[cursor:start])
        out.append(f"[{kind}]")
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


# ---- Tandem's scanner and rules ---------------------------------------------


def finding_actions(
    findings: Sequence[Finding], rules: RuleSet | None = None, text: str = ""
) -> list[tuple[str, str]]:
    """Return (action, rule name) per finding under `rules` (default: the shipped rules).

    `text` is what the findings were found in, for rules that match names.
    """
    rule_set = rules or build_rules()
    out: list[tuple[str, str]] = []
    for finding in findings:
        value = text[finding.start : finding.end]
        decision = rule_set.decide(RuleSubject.of(finding, value=value))
        out.append((str(decision.action), decision.rule.name if decision.rule else ""))
    return out


def tandem_scanner(*, names: bool = True) -> tuple[str, Callable[[str], list[Finding]]]:
    """Return (description, scan function): `registry.scan_text` with detectors built once.

    `names=False` is the `privacy.names = "standard"` setting: no name-like words.
    Falls back to the NER detector alone while the registry is missing.
    """
    try:
        from router.privacy.detectors import registry
    except ImportError:
        from router.privacy.detectors.ner import NerDetector

        return "ner only (registry missing)", NerDetector().detect
    detectors = [d for d in registry.default_detectors() if names or d.name != "names"]
    listed = "+".join(d.name for d in detectors)

    def scan(text: str) -> list[Finding]:
        found = registry.scan_text(text, detectors)
        return [f for f in found if names or f.type not in REDACTION_ONLY_TYPES]

    return f"registry.scan_text [{listed}]", scan


def decide_text(text: str, scan: Callable[[str], list[Finding]]) -> tuple[str, str]:
    """Return (decision, text that would be sent) for one query under the default rules."""
    findings = scan(text)
    actions = finding_actions(findings)
    if any(a == "keep_local" for a, _ in actions):
        return "keep_local", ""
    to_redact = [f for f, (a, _) in zip(findings, actions, strict=True) if a == "redact"]
    if to_redact:
        return "redact", redact_spans(text, to_redact)
    return "allow", text
