"""`tandem doctor`: print the setup report (app/doctor/); exit 1 when it finds a problem."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from app.doctor import Check, problems, run_checks

_MARK = {"ok": "ok", "warn": "warn", "problem": "PROBLEM"}


def add_doctor_parser(sub: Any) -> None:
    """Add `tandem doctor` to the subcommands."""
    doctor = sub.add_parser(
        "doctor", help="check this setup: CPU, model, NER, keys, folders; says how to fix it"
    )
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument(
        "--quick",
        action="store_true",
        help="skip loading the embedding and NER models (only check they are installed)",
    )


def run_doctor(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the report; return 1 if it holds a problem, else 0."""
    out = out or sys.stdout
    checks = run_checks(load=not getattr(args, "quick", False))
    if getattr(args, "json", False):
        payload = {"ok": not problems(checks), "checks": [c.as_dict() for c in checks]}
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(format_report(checks))
    return 1 if problems(checks) else 0


def format_report(checks: list[Check]) -> str:
    """The report as text: one block per check, the fix under each problem or warning."""
    width = max(len(c.title) for c in checks)
    lines = []
    for check in checks:
        head, *rest = check.detail.splitlines() or [""]
        lines.append(f"{_MARK[check.status]:<8} {check.title:<{width}}  {head}")
        indent = " " * (8 + 1 + width + 2)
        lines += [f"{indent}{line}" for line in rest]
        if check.fix and check.status != "ok":
            lines.append(f"{indent}fix: {check.fix}")
    found = problems(checks)
    warnings = sum(c.status == "warn" for c in checks)
    summary = (
        f"{len(found)} problem(s), {warnings} warning(s)"
        if found or warnings
        else "everything looks fine"
    )
    lines.append("")
    lines.append(summary)
    return "\n".join(lines) + "\n"
