"""PII leakage on PUPA (PAPILLON's data) through Tandem's real privacy path, in one run.

    PYTHONPATH=. .venv/bin/python benchmarks/pupa_leakage.py [--limit N] [--no-ner] [--json PATH]

Each query is scanned as a cloud turn is: `scanner_for(settings)` on the shipped
default settings (`assets/default_config.toml`: NER, topics, `names = "strict"`),
then, as `router/turn/egress.py` does it, `keep_local` sends nothing; `redact`
sends the text after `Pseudonymizer.register(report.redact_values)` and `.redact`;
`allow` sends the text as it is. The pipeline's egress check (`privacy.egress`)
and the transport guard (`EgressPolicy`) then read the outbound bytes (the packed
user message as `outbound_bytes` serializes it); a block hands the turn to the
device (counted "blocked": nothing leaves, and it is not answered in the cloud).
A PII unit (`pii_units`, split on "||") leaks when it occurs, case-insensitively,
in the text sent. Units that are the dataset's own Presidio placeholders
(`presidio_anonymized_*`) are not private and are not scored.

Compared in the same run: "no privacy" (every query sent as it is) and PUPA's own
`redacted_query` column sent as it is. PAPILLON's figures (7.5% leakage at 85.5%
response quality) are printed as published, not measured here. Figures are given
on every query and on a fixed held-out half (by a hash of `conversation_hash`).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import logging
import statistics
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from router.errors import EgressBlockedError
from router.ledger.pseudonyms import PseudonymStore
from router.privacy import egress
from router.privacy.guard import EgressPolicy
from router.privacy.redact import PLACEHOLDER, Pseudonymizer
from router.privacy.scan import Scanner
from router.runtime.compose import scanner_for
from router.settings.config import Settings, default_config_text
from router.turn.attempt import outbound_bytes
from router.types import Message, PackedContext, PrivacyReport, TurnRequest

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "data" / "pii" / "PUPA_New.csv"
PLACEHOLDER_UNIT = "presidio_anonymized"
GOAL_LEAKAGE = 0.03  # issue 17's goal (a prior, not tuned)
GOAL_CLOUD = 0.5
PAPILLON = ("PAPILLON (published, not measured here)", 0.075, 0.855)

_PLACEHOLDER = PLACEHOLDER  # bare or described: `[PERSON_1]`, `[PERSON_1, a colleague]`
Route = Literal["keep_local", "redact", "allow", "blocked"]


@dataclass(frozen=True)
class PupaQuery:
    """One PUPA row."""

    conversation_hash: str
    category: str
    text: str
    units: tuple[str, ...]
    """The scored PII units: non-empty, not Presidio placeholders."""
    placeholder_units: int
    dataset_redacted: str


@dataclass(frozen=True)
class Sent:
    """What one system would send to the cloud for one query."""

    route: Route
    text: str | None
    """None when nothing leaves the device."""
    placeholders: tuple[tuple[str, str], ...] = ()
    """(redacted value, its placeholder) for every value a redact rule chose."""
    rule: str = ""
    """The privacy rule that set the scan's action (Tandem only)."""
    blocked_by: str = ""
    """For a blocked turn: "egress check" (`privacy.egress`) or "transport guard"."""


@dataclass
class Tally:
    """Routes and leaked units over a set of queries."""

    queries: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    units: int = 0
    leaked: int = 0
    leaked_units: Counter[str] = field(default_factory=Counter)

    def add(self, query: PupaQuery, sent: Sent) -> None:
        """Count one query's route and its units that occur in the text sent."""
        self.queries += 1
        self.routes[sent.route] += 1
        self.units += len(query.units)
        for unit in leaked_units(query, sent):
            self.leaked += 1
            self.leaked_units[unit.lower()] += 1

    @property
    def leakage(self) -> float:
        """Leaked units / scored units."""
        return self.leaked / self.units if self.units else 0.0

    @property
    def cloud_share(self) -> float:
        """Share of queries answerable in the cloud (redacted or sent as is)."""
        cloud = self.routes["redact"] + self.routes["allow"]
        return cloud / self.queries if self.queries else 0.0

    def as_dict(self) -> dict[str, object]:
        """The figures as JSON-ready values."""
        return {
            "queries": self.queries,
            "kept_local": self.routes["keep_local"],
            "redacted": self.routes["redact"],
            "sent_as_is": self.routes["allow"],
            "blocked_at_egress": self.routes["blocked"],
            "units": self.units,
            "leaked": self.leaked,
            "leakage": round(self.leakage, 4),
            "cloud_share": round(self.cloud_share, 4),
        }


def load_queries(path: Path = DATASET, limit: int | None = None) -> list[PupaQuery]:
    """Read PUPA rows (the first `limit` of them, in file order)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    out: list[PupaQuery] = []
    for row in rows:
        units = [u.strip() for u in row["pii_units"].split("||") if u.strip()]
        scored = tuple(u for u in units if not u.lower().startswith(PLACEHOLDER_UNIT))
        out.append(
            PupaQuery(
                conversation_hash=row["conversation_hash"],
                category=row["predicted_category"],
                text=row["user_query"],
                units=scored,
                placeholder_units=len(units) - len(scored),
                dataset_redacted=row["redacted_query"],
            )
        )
    return out


def is_held_out(conversation_hash: str) -> bool:
    """The fixed held-out half: odd SHA-256 of the conversation's hash (whole conversations)."""
    return int(hashlib.sha256(conversation_hash.encode("utf-8")).hexdigest(), 16) % 2 == 1


def leaked_units(query: PupaQuery, sent: Sent) -> list[str]:
    """The query's units that occur, case-insensitively, in the text sent."""
    if sent.text is None:
        return []
    lowered = sent.text.lower()
    return [u for u in query.units if u.lower() in lowered]


def default_scanner(*, ner: bool = True) -> Scanner:
    """The scanner the app builds from its shipped default settings (`ner` off: patterns only)."""
    settings = Settings(**tomllib.loads(default_config_text()))
    if not ner:
        privacy = settings.privacy.model_copy(update={"ner": False})
        settings = settings.model_copy(update={"privacy": privacy})
    return scanner_for(settings)


class TandemPath:
    """Tandem's privacy path for a cloud turn: scan, redact, then the egress check.

    With a judge on the scanner (`[privacy] judge = "device"`), names in doubt are
    judged first, as a cloud turn's scan does (`Scanner.scan_judged`); `close`
    ends the event loop that runs it.
    """

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self.store = PseudonymStore()
        self._sessions = 0
        self._runner: asyncio.Runner | None = None
        self.in_doubt: list[int] = []
        """Names the scan left undecided, per text sent (before any judge)."""

    def close(self) -> None:
        """End the judge's event loop, if one ran."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def scan(self, text: str, session: str) -> PrivacyReport:
        """The scan of `text` a cloud turn gets, the judge's verdicts included."""
        request = TurnRequest(text=text, session_id=session)
        scanned = self.scanner.scan_names(request, [])
        self.in_doubt.append(len(scanned.undecided))
        if self.scanner.judge is None or not scanned.undecided:
            return scanned.report
        self._runner = self._runner or asyncio.Runner()
        return self._runner.run(self.scanner.scan_judged(request, []))

    def send_query(self, query: PupaQuery) -> Sent:
        """What would leave the device for `query`'s text."""
        return self.send(query.text)

    def send(self, text: str) -> Sent:
        """What would leave the device for `text`, asked as the first turn of a new session."""
        self._sessions += 1
        session = f"pupa-{self._sessions}"
        report = self.scan(text, session)
        if report.action == "keep_local":
            return Sent("keep_local", None, rule=report.rule)
        pseudonymizer = Pseudonymizer(self.store, session)
        pseudonymizer.register(report.redact_values)
        sent = pseudonymizer.redact(text) if self.store.values(session) else text
        packed = PackedContext(messages=(Message(role="user", content=sent),), input_tokens=0)
        payload = outbound_bytes(packed)
        try:
            egress.check_outbound(payload, report)
        except EgressBlockedError:
            return Sent("blocked", None, rule=report.rule, blocked_by="egress check")
        guard = EgressPolicy()
        with guard.protect((*report.protected, *self.store.values(session))):
            try:
                guard.check(payload, endpoint="cloud")
            except EgressBlockedError:
                return Sent("blocked", None, rule=report.rule, blocked_by="transport guard")
        pairs = tuple(
            (p.value, self.store.placeholder(session, p.type, p.value))
            for p in report.redact_values
        )
        route: Route = "redact" if report.action == "redact" else "allow"
        return Sent(route, sent, pairs, rule=report.rule)


def no_privacy(query: PupaQuery) -> Sent:
    """Baseline: the query sent as it is."""
    return Sent("allow", query.text)


def dataset_redaction(query: PupaQuery) -> Sent:
    """Baseline: PUPA's own `redacted_query` sent as it is."""
    return Sent("allow", query.dataset_redacted)


System = Callable[[PupaQuery], Sent]


@dataclass
class Measured:
    """One system's outcome per query, in the order of the queries."""

    name: str
    sent: list[Sent]

    def tally(self, queries: Sequence[PupaQuery], keep: Callable[[PupaQuery], bool]) -> Tally:
        """Sum the outcomes of the queries `keep` selects."""
        total = Tally()
        for query, sent in zip(queries, self.sent, strict=True):
            if keep(query):
                total.add(query, sent)
        return total


def measure(name: str, system: System, queries: Iterable[PupaQuery]) -> Measured:
    """Run `system` on every query."""
    return Measured(name, [system(q) for q in queries])


SPLITS: dict[str, Callable[[PupaQuery], bool]] = {
    "all": lambda q: True,
    "held-out": lambda q: is_held_out(q.conversation_hash),
}


def _in_category(keep: Callable[[PupaQuery], bool], category: str) -> Callable[[PupaQuery], bool]:
    return lambda q: keep(q) and q.category == category


_HEADER = (
    f"{'system':<22} {'category':<36} {'queries':>7} {'local':>6} {'redact':>6} {'as is':>6} "
    f"{'blocked':>7} {'units':>6} {'leaked':>6} {'leak%':>6} {'cloud%':>6}"
)


def _row(system: str, category: str, t: Tally) -> str:
    r = t.routes
    return (
        f"{system:<22} {category[:36]:<36} {t.queries:>7} {r['keep_local']:>6} {r['redact']:>6} "
        f"{r['allow']:>6} {r['blocked']:>7} {t.units:>6} {t.leaked:>6} "
        f"{100 * t.leakage:>6.1f} {100 * t.cloud_share:>6.1f}"
    )


def split_table(
    split: str, queries: Sequence[PupaQuery], tandem: Measured, baselines: Sequence[Measured]
) -> tuple[list[str], dict[str, object]]:
    """The lines of one split's table (per category, overall, baselines) and its figures."""
    keep = SPLITS[split]
    lines = [f"-- split: {split} --", _HEADER]
    figures: dict[str, object] = {}
    per_category: dict[str, object] = {}
    for category in sorted({q.category for q in queries}):
        t = tandem.tally(queries, _in_category(keep, category))
        lines.append(_row(tandem.name, category, t))
        per_category[category] = t.as_dict()
    overall = tandem.tally(queries, keep)
    lines.append(_row(tandem.name, "overall", overall))
    figures[tandem.name] = {"overall": overall.as_dict(), "per_category": per_category}
    for base in baselines:
        t = base.tally(queries, keep)
        lines.append(_row(base.name, "overall", t))
        figures[base.name] = {"overall": t.as_dict()}
    name, leak, quality = PAPILLON
    lines.append(f"{name}: leakage {100 * leak:.1f}%, high response quality {100 * quality:.1f}%")
    return lines, figures


def verdict(tally: Tally) -> str:
    """The issue's goal, PASS or FAIL, for one tally."""
    ok = tally.leakage <= GOAL_LEAKAGE and tally.cloud_share >= GOAL_CLOUD
    return (
        f"goal leakage <= {100 * GOAL_LEAKAGE:.0f}% with cloud share >= {100 * GOAL_CLOUD:.0f}%: "
        f"{'PASS' if ok else 'FAIL'} (leakage {100 * tally.leakage:.1f}%, "
        f"cloud {100 * tally.cloud_share:.1f}%)"
    )


def masked_shares(queries: Sequence[PupaQuery], tandem: Measured) -> list[float]:
    """Per redacted query, the share of its characters replaced by placeholders."""
    out: list[float] = []
    for query, sent in zip(queries, tandem.sent, strict=True):
        if sent.route == "redact" and sent.text is not None and query.text:
            kept = len(_PLACEHOLDER.sub("", sent.text))
            out.append(max(0, len(query.text) - kept) / len(query.text))
    return sorted(out)


def top_leaks(queries: Sequence[PupaQuery], tandem: Measured, count: int) -> list[str]:
    """The units that leak most often, with the route that let them out."""
    by_unit: Counter[tuple[str, str]] = Counter()
    for query, sent in zip(queries, tandem.sent, strict=True):
        for unit in leaked_units(query, sent):
            by_unit[(unit.lower(), sent.route)] += 1
    return [f"{n:>3}  {route:<8} {unit!r}" for (unit, route), n in by_unit.most_common(count)]


def run(
    queries: Sequence[PupaQuery], *, ner: bool, show_leaks: int = 15
) -> tuple[list[str], dict[str, object]]:
    """Measure Tandem and the baselines; return the printed lines and the figures."""
    path = TandemPath(default_scanner(ner=ner))
    tandem = measure(f"tandem ({'NER' if ner else 'no NER'})", path.send_query, queries)
    baselines = [
        measure("no privacy", no_privacy, queries),
        measure("PUPA redacted_query", dataset_redaction, queries),
    ]
    placeholders = sum(q.placeholder_units for q in queries)
    lines = [
        f"{len(queries)} PUPA queries; {sum(len(q.units) for q in queries)} PII units scored, "
        f"{placeholders} Presidio-placeholder units not scored; leak% = leaked / scored units"
    ]
    figures: dict[str, object] = {"queries": len(queries), "placeholder_units": placeholders}
    for split in SPLITS:
        split_lines, split_figures = split_table(split, queries, tandem, baselines)
        lines += ["", *split_lines, verdict(tandem.tally(queries, SPLITS[split]))]
        figures[split] = split_figures
    local = Counter(s.rule for s in tandem.sent if s.route == "keep_local")
    blocks = Counter(s.blocked_by for s in tandem.sent if s.route == "blocked")
    lines += [
        "",
        f"kept local, by rule: {dict(local.most_common()) or 'none'}",
        f"blocked turns, by stage: {dict(blocks) or 'none'}",
    ]
    masked = masked_shares(queries, tandem)
    if masked:
        median, p90 = statistics.median(masked), masked[int(0.9 * (len(masked) - 1))]
        lines.append(
            f"redacted queries: share of characters masked by placeholders median "
            f"{100 * median:.1f}%, p90 {100 * p90:.1f}% (what the cloud no longer sees)"
        )
        figures["masked_share"] = {"median": round(median, 4), "p90": round(p90, 4)}
    figures["kept_local_by_rule"] = dict(local)
    figures["blocked_by"] = dict(blocks)
    if show_leaks:
        lines += ["", f"most frequent leaked units ({tandem.name}):"]
        lines += top_leaks(queries, tandem, show_leaks)
    return lines, figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=None, help="only the first N queries")
    parser.add_argument("--no-ner", action="store_true", help="patterns only (NER off)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--show-leaks", type=int, default=15, help="most frequent leaked units")
    args = parser.parse_args(argv)
    queries = load_queries(DATASET, args.limit)
    guard_log = logging.getLogger("router.privacy.guard")
    level = guard_log.level
    guard_log.setLevel(logging.ERROR)  # one warning per block otherwise; restored for callers
    try:
        lines, figures = run(queries, ner=not args.no_ner, show_leaks=args.show_leaks)
    finally:
        guard_log.setLevel(level)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
