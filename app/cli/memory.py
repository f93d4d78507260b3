"""`tandem memory`: search earlier conversations, rebuild the index, show its state.

tandem memory search "QUERY" [--session ID] [-k N] [--json]   most similar turns
tandem memory rebuild                                          re-index from the ledger
tandem memory stats [--json]                                   what is indexed, and where

Only the paths, settings and ledger are opened: no chat model is loaded.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from app.present.memory import snippet
from router import Ledger, Settings, TandemPaths, load_settings, resolve_paths

if TYPE_CHECKING:
    # Chroma and the embedder load only when a memory command runs, not for every `tandem`.
    from router.memory.store import MemoryStore


_KEPT_LABELS = {"keep_local": "  [keep-local]", "keep_mine": "  [keep-mine]"}
"""How a search hit a privacy rule kept on this device (or on the user's devices) is marked."""


def add_memory_parser(subparsers: Any) -> None:
    """Add the `memory` command (search, rebuild, stats) to the `tandem` subparsers."""
    memory = subparsers.add_parser("memory", help="search earlier conversations; rebuild index")
    sub = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    search = sub.add_parser("search", help="find the earlier turns most similar to a query")
    search.add_argument("query", help="what to look for")
    search.add_argument("--session", default=None, help="only this conversation id")
    search.add_argument("-k", type=int, default=5, help="how many turns to show (default 5)")
    search.add_argument("--json", action="store_true", help="one JSON object per hit")
    sub.add_parser("rebuild", help="recreate the index from the conversation ledger")
    stats = sub.add_parser("stats", help="how many turns are indexed, and where")
    stats.add_argument("--json", action="store_true", help="print one JSON object")


def run_memory(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `tandem memory ...`; return the exit status."""
    out = out or sys.stdout
    if args.memory_command == "search":
        return run_search(args.query, session=args.session, k=args.k, as_json=args.json, out=out)
    if args.memory_command == "rebuild":
        return run_rebuild(out=out)
    if args.memory_command == "stats":
        return run_stats(as_json=args.json, out=out)
    raise ValueError(f"unknown memory command {args.memory_command!r}")


@contextmanager
def _opened() -> Iterator[tuple[TandemPaths, Settings, MemoryStore, Ledger]]:
    from router.ledger.pseudonyms import PseudonymStore
    from router.runtime.compose import recorded_egress, scanner_for
    from router.runtime.memory import ScannerScreen, open_private_memory

    paths = resolve_paths().ensure()
    settings = load_settings(paths)
    ledger = Ledger(paths.ledger_file)
    try:
        # A shared server gets what the cloud would see: the ledger's placeholders, the
        # user's rules on search queries (built only if a query needs them), and the
        # guard that writes every request to the ledger's record.
        memory = open_private_memory(
            paths,
            settings.memory,
            pseudonyms=PseudonymStore(ledger.db),
            policy=recorded_egress(ledger),
            screen=ScannerScreen(functools.cache(lambda: scanner_for(settings))),
        )
        with memory:
            yield paths, settings, memory, ledger
    finally:
        ledger.close()


def run_search(
    query: str,
    *,
    session: str | None = None,
    k: int = 5,
    as_json: bool = False,
    out: TextIO | None = None,
) -> int:
    """Print the `k` turns most similar to `query`; return 0 (1 when nothing matched)."""
    out = out or sys.stdout
    with _opened() as (_, _, memory, ledger):
        found = memory.search_report(query, session_id=session, k=k)
        titles = {s.id: s.title for s in ledger.sessions()}
    hits = found.hits
    if found.note:
        (sys.stderr if as_json else out).write(found.note + "\n")
    for hit in hits:
        title = titles.get(hit.session_id, "(conversation no longer in the ledger)")
        if as_json:
            out.write(json.dumps({**hit.model_dump(), "session_title": title}) + "\n")
            continue
        label = _KEPT_LABELS.get(hit.privacy_action, "")
        out.write(f"{hit.score:.2f}  {title} ({hit.session_id[:8]}) #{hit.seq}{label}\n")
        out.write(f"      {snippet(hit)}\n")
    if not hits and not as_json:
        out.write("no matching turns (run `tandem memory stats` to see what is indexed)\n")
    return 0 if hits else 1


def turn_progress(label: str, stream: TextIO) -> Callable[[int, int], None]:
    """A (done, total) callback that draws a bar counting turns on `stream`."""
    last = -1
    step = 1 if stream.isatty() else 10  # a log gets a line per 10%, a terminal redraws

    def update(done: int, total: int) -> None:
        nonlocal last
        percent = 100 * done // total if total else 100
        if last >= 0 and percent // step == last // step:
            return
        last = percent
        bar = "█" * (percent * 30 // 100) + "·" * (30 - percent * 30 // 100)
        start, end = ("\r", "\n" if done >= total else "") if step == 1 else ("", "\n")
        stream.write(f"{start}{label} [{bar}] {percent:3d}% {done}/{total} turns{end}")
        stream.flush()

    return update


def run_rebuild(out: TextIO | None = None, progress_stream: TextIO | None = None) -> int:
    """Drop the index and recreate it from the ledger, showing progress on stderr; return 0."""
    out = out or sys.stdout
    progress = turn_progress("indexing", progress_stream or sys.stderr)
    with _opened() as (_, _, memory, ledger):
        count = memory.rebuild(ledger, progress)
        sessions = len(ledger.sessions())
        places = " and ".join(i.where for i in memory.indexes)
    out.write(f"indexed {count} turns from {sessions} conversations ({places})\n")
    return 0


def run_stats(as_json: bool = False, out: TextIO | None = None) -> int:
    """Print what is indexed and where, against what the ledger holds; return 0."""
    from router.memory.embedding import MODEL_ID
    from router.memory.store import indexable, memory_folder

    out = out or sys.stdout
    with _opened() as (paths, settings, memory, ledger):
        counts = memory.count_by()
        sessions = ledger.sessions()
        in_ledger = sum(1 for s in sessions for t in ledger.turns(s.id) if indexable(t))
    indexed = counts.get("device", 0) + counts.get("server", 0)
    stats = {
        "enabled": settings.memory.enabled,
        "device_folder": str(memory_folder(paths)),
        "server_url": settings.memory.server_url,
        "collection": settings.memory.collection,
        "embedding_model": MODEL_ID,
        "indexed": indexed,
        "on_device": counts.get("device", 0),
        "on_server": counts.get("server", 0),
        "keep_local": counts.get("keep_local", 0),
        "ledger_turns": in_ledger,
        "conversations": len(sessions),
    }
    if as_json:
        out.write(json.dumps(stats) + "\n")
        return 0
    out.write(f"indexed turns:  {indexed} ({stats['keep_local']} keep-local)\n")
    out.write(f"on this device: {stats['on_device']} in {stats['device_folder']}\n")
    if settings.memory.server_url:
        out.write(f"on the server:  {stats['on_server']} at {settings.memory.server_url}\n")
    out.write(f"ledger:         {in_ledger} indexable turns in {len(sessions)} conversations\n")
    out.write(f"embeddings:     {MODEL_ID}, collection {settings.memory.collection!r}\n")
    if not settings.memory.enabled:
        out.write("indexing of new turns is off (memory.enabled = false in the config)\n")
    if in_ledger != indexed:
        out.write("the index is out of date: run `tandem memory rebuild`\n")
    return 0
