"""The egress fuzz's verdict: leaks at the wire, what still reached the cloud, and the tables.

A leak is any form of a case's private value (`values.needles`: as placed, as
canonically written, digits only for cards, each raw, JSON-escaped, URL-encoded
and base64, and in the attachment's own codec) in any request either recorder
received during that case. A block is not a leak, but each one means the scan
upstream missed something that the last checks then caught, so they are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tests.support.fuzz.placements import Run
from tests.support.fuzz.values import PrivateValue, needles


@dataclass(frozen=True)
class Leak:
    """One private value found at the wire."""

    case: int
    kind: str
    variant: str
    where: str
    """`cloud` or `memory` (the shared memory server)."""


def leaks_of(run: Run) -> list[Leak]:
    """Every value of `run`'s case found in what either recorder received."""
    found: list[Leak] = []
    for value in run.case.values:
        forms = needles(value, run.codec)
        for where, bodies in (("cloud", run.cloud), ("memory", run.memory)):
            if any(form in body for body in bodies for form in forms):
                found.append(Leak(run.case.index, value.kind, value.variant, where))
    return found


def control_intact(run: Run) -> bool:
    """Whether the case's public control phrase reached the cloud as written."""
    phrase = run.case.control.encode()
    return any(phrase in body for body in run.cloud)


@dataclass
class Row:
    """Counts for one group of cases."""

    turns: int = 0
    cloud: int = 0
    local: int = 0
    control: int = 0
    leaks: int = 0
    presend: int = 0
    guard: int = 0
    errors: int = 0
    leak_list: list[Leak] = field(default_factory=list)

    def add(self, run: Run) -> None:
        """Count one run."""
        leaks = leaks_of(run)
        self.turns += 1
        self.cloud += run.reached_cloud
        self.local += run.kept_local
        self.control += control_intact(run)
        self.leaks += bool(leaks)
        self.leak_list += leaks
        self.presend += run.presend_blocks
        self.guard += run.guard_blocks
        self.errors += bool(run.errors)


HEADER = ("turns", "cloud", "local", "control", "leaks", "pre-send", "guard", "errors")


def group(runs: Iterable[Run], key: Callable[[Run], Sequence[str]]) -> dict[str, Row]:
    """Rows by `key` (a run may count in several groups, e.g. one per value kind)."""
    rows: dict[str, Row] = {}
    for run in runs:
        for name in key(run):
            rows.setdefault(name, Row()).add(run)
    return rows


def table(title: str, rows: dict[str, Row], total: Row | None = None) -> str:
    """A fixed-width table of `rows` under `title`, with `total` as its last line."""
    width = max([len(title), *(len(k) for k in rows), 5])
    lines = [f"{title:<{width}} " + " ".join(f"{h:>8}" for h in HEADER)]
    shown = [*rows.items(), *([("total", total)] if total else [])]
    for name, row in shown:
        cells = [row.turns, row.cloud, row.local, row.control, row.leaks, row.presend]
        cells += [row.guard, row.errors]
        lines.append(f"{name:<{width}} " + " ".join(f"{c:>8}" for c in cells))
    return "\n".join(lines)


def position_of(run: Run) -> list[str]:
    """The case's position (a team case with where in the run its values were)."""
    case = run.case
    return [f"team ({case.fmt})" if case.position == "team" else case.position]


def attachment_format(run: Run) -> list[str]:
    """An attachment case's format ([] for other positions)."""
    return [run.case.fmt] if run.case.position == "attachment" else []


def attachment_encoding(run: Run) -> list[str]:
    """A text attachment's encoding ([] for other cases)."""
    case = run.case
    return [case.encoding] if case.position == "attachment" and case.encoding != "-" else []


def kind_variant(run: Run) -> list[str]:
    """One group per value of the case: `kind/variant (action)`."""
    return list(dict.fromkeys(_label(v) for v in run.case.values))


def _label(value: PrivateValue) -> str:
    return f"{value.kind}/{value.variant} ({value.action})"


def report(runs: Sequence[Run]) -> tuple[str, Row]:
    """Every table, and the totals row."""
    total = Row()
    for run in runs:
        total.add(run)
    tables = [
        table("position", group(runs, position_of), total),
        table("attachment format", dict(sorted(group(runs, attachment_format).items()))),
        table("attachment encoding", dict(sorted(group(runs, attachment_encoding).items()))),
        table("value kind/spelling", dict(sorted(group(runs, kind_variant).items()))),
    ]
    return "\n\n".join(tables), total
