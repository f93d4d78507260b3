"""Egress fuzz at the wire: generated turns with private values, 0 leaks is the goal.

    PYTHONPATH=. .venv/bin/python benchmarks/egress_fuzz.py [--turns 2000] [--seed 17] [--json PATH]

Each seeded case (tests/support/fuzz/cases.py) places one or two private values
(Luhn-valid cards, API keys, SSNs: kept local by the default rules; e-mails,
phones, names, street addresses: redacted), sometimes in a spelling the scan
claims to undo, in one position: the prompt, an earlier turn in the ledger, an
attachment (every text format in every encoding `sniff` reads, PDF, Word), an
MCP tool's result, the session summary, a team run (the task or a device
agent's message), or an earlier turn that reaches the later one through the
memory. Tandem runs as the app builds it (tests/support/fuzz/world.py): the
shipped default settings and detectors (NER included), the `prefer_remote`
policy so the privacy rules alone decide, the real `anthropic` SDK through the
egress guard's client to a loopback recorder, and the memory on a real `chroma
run` behind a recording proxy. Every request both received is searched for
every form of the case's values (tests/support/fuzz/tally.py).

Printed: tables by position, attachment format, attachment encoding and value
kind/spelling (turns; reached the cloud; kept local; control phrase intact at
the cloud; turns with a leak; pre-send and transport-guard blocks; errors), the
leaks if any, and a last line `cases=... leaks=...`; `--json` adds every case's
outcome. Exits 1 on any leak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from tests.support.fuzz.cases import generate
from tests.support.fuzz.placements import Run, run_case
from tests.support.fuzz.tally import Row, control_intact, leaks_of, report
from tests.support.fuzz.world import open_world


async def run_all(turns: int, seed: int, folder: Path, progress: bool = False) -> list[Run]:
    """Run `turns` seeded cases in one world under `folder` (`progress`: quiet logs, counts)."""
    runs: list[Run] = []
    async with open_world(folder) as world:
        if progress:
            _quiet()  # the MCP server set up logging at INFO for the whole process
        for case in generate(turns, seed):
            runs.append(await run_case(world, case))
            if progress and len(runs) % 100 == 0:
                print(f"  {len(runs)}/{turns} cases", file=sys.stderr, flush=True)
    return runs


def _quiet() -> None:
    """Only errors from libraries: every request and fallback is counted in the tables.

    For the command line only: it changes the process's logging for good.
    """
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("router", "presidio-analyzer", "httpx", "httpx2", "mcp"):
        logging.getLogger(name).setLevel(logging.ERROR)


def summary_line(runs: list[Run], total: Row, seconds: float) -> str:
    """The last line: counts a script can read."""
    turns = sum(r.pipeline_turns for r in runs)
    cloud = sum(len(r.cloud) for r in runs)
    memory = sum(len(r.memory) for r in runs)
    return (
        f"cases={total.turns} pipeline_turns={turns} cloud_requests={cloud} "
        f"memory_requests={memory} leaks={total.leaks} reached_cloud={total.cloud} "
        f"kept_local={total.local} control_intact={total.control} "
        f"presend_blocks={total.presend} guard_blocks={total.guard} errors={total.errors} "
        f"seconds={seconds:.0f}"
    )


def case_row(run: Run) -> dict[str, object]:
    """One case in the JSON output: where its values were and what became of its turn."""
    case = run.case
    return {
        "case": case.index,
        "position": case.position,
        "format": case.fmt,
        "encoding": case.encoding,
        "values": [f"{v.kind}/{v.variant}" for v in case.values],
        "reached_cloud": run.reached_cloud,
        "kept_local": run.kept_local,
        "control_intact": control_intact(run),
        "presend_blocks": run.presend_blocks,
        "guard_blocks": run.guard_blocks,
        "errors": run.errors,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz and print its tables; 1 when anything leaked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=2000, help="how many cases (default 2000)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", type=Path, help="also write the counts and leaks here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tandem-fuzz-") as folder:
        runs = asyncio.run(run_all(args.turns, args.seed, Path(folder), progress=True))
    text, total = report(runs)
    print(text)
    leaks = [leak for run in runs for leak in leaks_of(run)]
    for leak in leaks:
        print(f"LEAK case {leak.case}: {leak.kind}/{leak.variant} reached the {leak.where}")
    errors = [(r.case.index, e) for r in runs for e in r.errors]
    for index, error in errors[:20]:
        print(f"error case {index}: {error}")
    line = summary_line(runs, total, time.perf_counter() - started)
    print(line)
    if args.json:
        record = {
            "summary": line,
            "leaks": [leak.__dict__ for leak in leaks],
            "cases": [case_row(run) for run in runs],
        }
        args.json.write_text(json.dumps(record, indent=1))
    return 1 if leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
