"""`tandem privacy outbound`: the latest requests Tandem let off the device, or stopped.

tandem privacy outbound [--limit N] [--json]

Reads the ledger's record of outbound requests (router/ledger/wire_log.py), which
every guarded client writes at the wire: endpoints and their tests, judges, MCP
servers, team peers and the memory server. `--json` prints one object per
request, body included (as sent, up to the record's cap; none for a blocked one).
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from router import Ledger, resolve_paths

DEFAULT_LIMIT = 20


def add_outbound_parser(sub: Any) -> None:
    """Add the `outbound` action to `tandem privacy`'s subparsers."""
    outbound = sub.add_parser("outbound", help="list the latest requests that left the device")
    outbound.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help=f"how many (default {DEFAULT_LIMIT})"
    )
    outbound.add_argument("--json", action="store_true", help="one JSON object per request")


def run_outbound(
    limit: int = DEFAULT_LIMIT, *, as_json: bool = False, out: TextIO | None = None
) -> int:
    """Print the latest `limit` outbound requests, newest first; return 0."""
    out = out or sys.stdout
    ledger = Ledger(resolve_paths().ensure().ledger_file)
    try:
        requests = ledger.outbound.recent(limit)
    finally:
        ledger.close()
    if as_json:
        for request in requests:
            out.write(json.dumps(request.model_dump(mode="json"), ensure_ascii=False) + "\n")
        return 0
    if not requests:
        out.write("no outbound requests recorded yet\n")
        return 0
    out.write(f"{'TIME':<19}  {'ENDPOINT':<24} {'OUTCOME':<11} {'METHOD':<6} {'WHERE':<48} BYTES\n")
    for r in requests:
        when = r.sent_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        outcome = f"{r.outcome} {r.status}" if r.status is not None else r.outcome
        where = f"{r.host}{r.path}"
        where = where if len(where) <= 48 else where[:47] + "…"
        out.write(
            f"{when:<19}  {r.endpoint[:24]:<24} {outcome:<11} {r.method:<6} {where:<48} "
            f"{r.size_bytes}\n"
        )
    return 0
