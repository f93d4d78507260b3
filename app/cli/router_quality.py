"""`tandem router fit-quality`: the learned policy's quality model, fitted on a device profile.

tandem router fit-quality --profile F.jsonl[.gz] --out assets/routing_learned.json [--seed 0]

Reads a profile from `tandem router profile-device`, fits P(right) per
endpoint on about 70% of its records and reports AUROC and Brier score on the
rest (method: router/learn/fit_quality.py), then writes the artifact the
chat's `learned` policy loads (format: router/policy/quality_model.py).
Embedding the prompts is the slow part; a progress line goes to stderr, and
embeddings are cached (`--cache`), so a refit is fast.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any, TextIO


def add_fit_quality_parser(sub: Any) -> None:
    """Add `fit-quality` to the `tandem router` actions."""
    fit = sub.add_parser(
        "fit-quality", help="fit the learned policy's quality model on a device profile"
    )
    fit.add_argument(
        "--profile", required=True, type=Path, help="profile from profile-device (.jsonl or .gz)"
    )
    fit.add_argument("--out", required=True, type=Path, help="artifact JSON to write")
    fit.add_argument("--seed", type=int, default=0, help="salt of the train/held-out split")
    fit.add_argument("--cache", type=Path, default=None, help="embedding cache folder")


def _command(args: argparse.Namespace) -> str:
    """The command that reproduces this fit, as recorded in the artifact."""
    parts = ["tandem", "router", "fit-quality", "--profile", str(args.profile)]
    parts += ["--out", str(args.out), "--seed", str(args.seed)]
    return shlex.join(parts)


def _progress(done: int, total: int) -> None:
    end = "\n" if done >= total else "\r"
    print(f"embedded {done}/{total} prompts", end=end, file=sys.stderr, flush=True)


def run_fit_quality(args: argparse.Namespace, out: TextIO) -> int:
    """Fit, print the held-out figures and write the artifact."""
    from router.learn.cascade_report import write_artifact
    from router.learn.fit_quality import QualityFitRequest, fit_quality, format_report

    request = QualityFitRequest(
        profile=args.profile, seed=args.seed, command=_command(args), cache_dir=args.cache
    )
    artifact = fit_quality(request, _progress)
    write_artifact(artifact, args.out)
    print(format_report(artifact), file=out)
    print(f"wrote {args.out}", file=out)
    return 0
