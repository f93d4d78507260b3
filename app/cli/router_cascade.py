"""`tandem router fit-cascade`: the cascade's confidence and threshold, fitted on a device profile.

tandem router fit-cascade --profile F.jsonl --out assets/routing_cascade.json
    [--seed 0] [--cloud gpt-4] [--willingness-to-pay 0.05]

Reads a profile from `tandem router profile-device`, fits on about 70% of its
records and reports on the rest (method: router/learn/fit_cascade.py), then
writes the artifact the chat's `cascade` policy loads (format:
router/policy/cascade_artifact.py).
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any, TextIO

from router import TandemError


def add_fit_cascade_parser(sub: Any) -> None:
    """Add `fit-cascade` to the `tandem router` actions."""
    fit = sub.add_parser(
        "fit-cascade", help="fit the cascade's confidence and threshold on a device profile"
    )
    fit.add_argument("--profile", required=True, type=Path, help="profile from profile-device")
    fit.add_argument("--out", required=True, type=Path, help="artifact JSON to write")
    fit.add_argument("--seed", type=int, default=0, help="salt of the train/held-out split")
    fit.add_argument("--local", default="local", help="the device's endpoint in the profile")
    fit.add_argument("--cloud", default="gpt-4", help="the cloud stand-in's endpoint")
    fit.add_argument(
        "--willingness-to-pay",
        type=float,
        default=0.05,
        help="USD worth a 1.0 gain in quality when choosing the threshold (the [routing] default)",
    )


def _command(args: argparse.Namespace) -> str:
    """The command that reproduces this fit, as recorded in the artifact."""
    parts = ["tandem", "router", "fit-cascade", "--profile", str(args.profile)]
    parts += ["--out", str(args.out), "--seed", str(args.seed)]
    parts += ["--local", args.local, "--cloud", args.cloud]
    parts += ["--willingness-to-pay", f"{args.willingness_to_pay:g}"]
    return shlex.join(parts)


def run_fit_cascade(args: argparse.Namespace, out: TextIO) -> int:
    """Fit, print the held-out figures and write the artifact."""
    from router.learn.cascade_report import FitRequest, fit_cascade, format_report, write_artifact

    if args.willingness_to_pay <= 0:
        raise TandemError(f"--willingness-to-pay must be above 0, got {args.willingness_to_pay:g}")
    request = FitRequest(
        profile=args.profile,
        seed=args.seed,
        local=args.local,
        cloud=args.cloud,
        willingness_to_pay=args.willingness_to_pay,
        command=_command(args),
    )
    artifact = fit_cascade(request)
    write_artifact(artifact, args.out)
    print(format_report(artifact), file=out)
    print(f"wrote {args.out}", file=out)
    return 0
