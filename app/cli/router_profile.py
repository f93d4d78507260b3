"""`tandem router profile`: the user's endpoints on the user's prompts, by the privacy rules.

Off-device requests take the chat's privacy path (router/learn/profile_egress.py):
a prompt a rule keeps local is answered on the device only, a redact rule's
values leave as placeholders, the egress guard backs both up, and every request
that left is listed in `<out>.sent.jsonl`, beside the profile.

With `--from-ledger` nothing is run: the answers the user rated in the chat (and
the pairs of answers to one question on both tiers) are written as the profile
(router/learn/ledger_profile.py), read from the ledger on this device.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from router import TandemError

if TYPE_CHECKING:  # the CLI imports what an action needs when it runs (start-up time)
    from router.endpoints.base import Endpoint
    from router.learn.profile_egress import EgressCounts, ProfileEgress
    from router.learn.profiler import Judge
    from router.privacy.guard import EgressPolicy
    from router.privacy.scan import Scanner


def run_profile(args: argparse.Namespace, out: TextIO) -> int:
    """Run the configured endpoints on the prompts and write the profile.

    Off-device requests take the chat's privacy path: the runtime's scanner
    (the user's rules) and egress policy (shared with the endpoints' guarded
    HTTP clients); see router/learn/profile_egress.py.
    """
    import asyncio

    from router import build_runtime

    if args.from_ledger:
        return _profile_from_ledger(Path(args.out), out)
    if not args.prompts or not args.endpoints:
        raise TandemError(
            "--prompts and --endpoints say what to profile",
            "give both, or use --from-ledger to write the answers you rated in the chat",
        )
    runtime = build_runtime()

    async def profile_then_close() -> int:
        # One event loop for both: remote endpoints' HTTP clients belong to the
        # loop that opened them and cannot be closed from a second one.
        try:
            pipeline = runtime.pipeline
            return await _profile(
                args,
                pipeline.endpoints,
                out,
                scanner=pipeline.scanner,
                egress=pipeline.egress_policy,
            )
        finally:
            await runtime.aclose()

    return asyncio.run(profile_then_close())


async def _profile(
    args: argparse.Namespace,
    endpoints: Mapping[str, Endpoint],
    out: TextIO,
    *,
    scanner: Scanner,
    egress: EgressPolicy,
) -> int:
    from router import GenerationOptions
    from router.learn.profile import write_profile
    from router.learn.profile_egress import ProfileEgress, sent_record_writer
    from router.learn.profiler import load_prompts, profile_endpoints

    names = [n.strip() for n in args.endpoints.split(",") if n.strip()]
    unknown = [n for n in names if n not in endpoints]
    if not names or unknown:
        raise TandemError(
            f"unknown endpoint(s): {', '.join(unknown) or '(none given)'}",
            f"configured endpoints: {', '.join(endpoints)}",
        )
    items = load_prompts(args.prompts)
    sent_file = Path(args.out).with_suffix(".sent.jsonl")
    way_out = ProfileEgress(scanner, egress, record=sent_record_writer(sent_file))
    records = await profile_endpoints(
        items,
        {n: endpoints[n] for n in names},
        _judge(args.judge, endpoints, way_out),
        way_out,
        GenerationOptions(max_tokens=args.max_tokens, temperature=0.0, seed=0),
        on_record=lambda r: print(f"profiled {r.id}", file=sys.stderr),
    )
    count = write_profile(records, args.out)
    print(f"wrote {count} records for {', '.join(names)} to {args.out}", file=out)
    print(_privacy_summary(way_out.counts, len(items) - count, sent_file), file=out)
    return 0


def _profile_from_ledger(out_file: Path, out: TextIO) -> int:
    """Write the user's rated answers, from the ledger, as a profile at `out_file`."""
    from router.learn.ledger_profile import profile_from_ledger
    from router.learn.profile import write_profile
    from router.ledger.database import Database
    from router.paths import resolve_paths

    database = Database(resolve_paths().ensure().ledger_file)
    try:
        records = profile_from_ledger(database)
    finally:
        database.close()
    if not records:
        raise TandemError(
            "there are no rated answers in your ledger yet",
            "rate answers with /good and /bad in `tandem chat` (or the app's thumbs) first",
        )
    count = write_profile(records, out_file)
    answers = sum(len(r.endpoints) for r in records)
    kept = sum(1 for r in records if r.meta.get("kept_local"))
    plural = "" if count == 1 else "s"
    print(
        f"wrote {count} record{plural} ({answers} rated answers) from your ledger to {out_file}",
        file=out,
    )
    if kept:
        print(
            f"{kept} of them a privacy rule kept on this device; the file stays here unless you "
            "move it",
            file=out,
        )
    return 0


def _judge(name: str, endpoints: Mapping[str, Endpoint], way_out: ProfileEgress) -> Judge:
    """The `--judge`: `exact`, or a configured endpoint asked through the privacy path."""
    from router.learn.profiler import exact_judge, model_judge

    if name == "exact":
        return exact_judge
    if name in endpoints:
        return model_judge(endpoints[name], way_out)
    raise TandemError(f"unknown judge {name!r}", f"use 'exact' or one of: {', '.join(endpoints)}")


def _privacy_summary(counts: EgressCounts, unprofiled: int, sent_file: Path) -> str:
    """What the privacy rules held back or changed, and where the record of what left is."""

    def many(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    lines = [
        f"privacy: {many(len(counts.kept_local), 'prompt')} kept on the device by a rule "
        f"(answered on-device endpoints only), {len(counts.redacted)} sent redacted, "
        f"{len(counts.blocked)} blocked at the egress guard",
        f"what left the device: {many(counts.sent, 'request')}, listed in {sent_file}",
    ]
    if unprofiled:
        lines.append(
            f"{many(unprofiled, 'prompt')} not profiled: no endpoint could answer and be "
            "judged without sending it off the device"
        )
    return "\n".join(lines)
