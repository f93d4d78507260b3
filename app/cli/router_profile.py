"""`tandem router profile`: the user's endpoints on the user's prompts, by the privacy rules.

Off-device requests take the chat's privacy path (router/learn/profile_egress.py):
a prompt a rule keeps local is answered on the device only, a redact rule's
values leave as placeholders, the egress guard backs both up, and every request
that left is listed in `<out>.sent.jsonl`, beside the profile.
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
