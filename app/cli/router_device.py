"""`tandem router profile-device`: the device's own model on public questions with known answers.

tandem router profile-device --out F.jsonl [--model bundled|NAME|X.gguf]
    [--data ../shared/data/routellm] [--datasets mmlu,gsm8k] [--limit N] [--samples 2]

Writes the profile format (router/learn/profile.py), one record per question,
appended as it goes: re-running the same command resumes where it stopped.
What each record holds: router/learn/device_profile.py. Nothing leaves the
device: the questions are public and only the local model answers them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO

from router import TandemError

DEFAULT_DATA = Path("../shared/data/routellm")
DEFAULT_KEY = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mmlu_answer_key.tsv"


def add_device_profile_parser(sub: Any) -> None:
    """Add `profile-device` to the `tandem router` actions."""
    device = sub.add_parser(
        "profile-device",
        help="run the device's model on public MMLU/GSM8K questions; write a profile",
    )
    device.add_argument("--out", required=True, help="profile JSONL, appended (resumable)")
    device.add_argument(  # SUPPRESS: `tandem --model X router profile-device` works as well
        "--model", default=argparse.SUPPRESS, help="bundled (default), a model name or a .gguf"
    )
    device.add_argument("--data", type=Path, default=DEFAULT_DATA, help="RouteLLM data folder")
    device.add_argument("--datasets", default="mmlu,gsm8k", help="comma-separated: mmlu, gsm8k")
    device.add_argument("--limit", type=int, default=None, help="profile only the first N")
    device.add_argument("--samples", type=int, default=2, help="answers per question (1-3)")
    device.add_argument("--mmlu-key", type=Path, default=DEFAULT_KEY, help="MMLU answer key TSV")
    device.add_argument(
        "--gsm8k-max-tokens", type=int, default=None, help="GSM8K answer cap (default 256)"
    )
    device.add_argument("--n-ctx", type=int, default=4096, help="the model's context window")


def _datasets(text: str) -> list[str]:
    from router.learn.graded import BENCHMARKS

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if not names or unknown:
        raise TandemError(
            f"unknown dataset(s): {', '.join(unknown) or '(none given)'}",
            f"choose from: {', '.join(BENCHMARKS)}",
        )
    return names


def _check_inputs(args: argparse.Namespace, names: list[str]) -> None:
    """Fail before loading a model: missing data, key, or a bad option."""
    needed = {"mmlu": args.data / "mmlu", "gsm8k": args.data / "gsm8k_test.jsonl"}
    missing = [str(needed[n]) for n in names if not needed[n].exists()]
    if missing:
        raise TandemError(
            f"the RouteLLM data is not at {args.data} (missing {', '.join(missing)})",
            "pass --data with the folder holding mmlu/, gsm8k_test.jsonl and gsm8k_responses.csv",
        )
    if "mmlu" in names and not args.mmlu_key.is_file():
        raise TandemError(
            f"no MMLU answer key at {args.mmlu_key}",
            "pass --mmlu-key benchmarks/data/mmlu_answer_key.tsv from Tandem's repository",
        )
    if args.limit is not None and args.limit < 1:
        raise TandemError(f"--limit must be at least 1, got {args.limit}")
    if args.gsm8k_max_tokens is not None and args.gsm8k_max_tokens < 1:
        raise TandemError(f"--gsm8k-max-tokens must be at least 1, got {args.gsm8k_max_tokens}")
    if not 1 <= args.samples <= 3:
        raise TandemError(f"--samples must be 1, 2 or 3, got {args.samples}")


def run_device_profile(args: argparse.Namespace, out: TextIO) -> int:
    """Profile the local model on the chosen public questions; print a summary."""
    from router.learn.graded import in_fixed_order, load_graded

    names = _datasets(args.datasets)
    _check_inputs(args, names)
    pool = [q for n in names for q in load_graded(args.data, n, args.mmlu_key)]
    questions = in_fixed_order(pool, args.limit)
    model = _resolve_model(getattr(args, "model", None) or "bundled")
    try:
        summary = asyncio.run(_profile(args, questions, model))
    except KeyboardInterrupt:
        print(f"stopped; run the same command again to resume {args.out}", file=sys.stderr)
        raise
    skipped = f", {len(summary.skipped)} skipped (too long)" if summary.skipped else ""
    if summary.crashed:
        skipped += f", {len(summary.crashed)} lost to a local model crash (run again for them)"
    print(
        f"asked {summary.asked} questions ({summary.correct} right){skipped}; "
        f"{summary.already} were already done",
        file=out,
    )
    print(_accuracy_table(Path(args.out)), file=out)
    return 0


def _resolve_model(spec: str) -> Path:
    """The GGUF for `--model`; `ModelNotFoundError` says how to find one."""
    from router import ModelManager, resolve_paths

    return ModelManager(resolve_paths().ensure().models_dir, spec).resolve()


async def _profile(args: argparse.Namespace, questions: list[Any], model: Path) -> Any:
    from router.endpoints.llama_cpp import LlamaCppEndpoint
    from router.learn.device_profile import MAX_TOKENS, DeviceRun, profile_device

    endpoint = LlamaCppEndpoint(model, n_ctx=args.n_ctx)
    caps = dict(MAX_TOKENS)
    if args.gsm8k_max_tokens is not None:
        caps["gsm8k"] = args.gsm8k_max_tokens
    run = DeviceRun(model=model.name, samples=args.samples, max_tokens=caps)
    try:
        return await profile_device(
            endpoint, questions, Path(args.out), run, lambda line: print(line, file=sys.stderr)
        )
    finally:
        await asyncio.to_thread(endpoint.unload)


def _accuracy_table(path: Path) -> str:
    """Accuracy of the device and the stand-in tiers over the whole profile, per benchmark."""
    from router.learn.device_profile import LOCAL
    from router.learn.profile import load_profile

    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return f"{path} holds no records yet"
    tally: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record in load_profile(path):
        benchmark = str(record.meta.get("benchmark", "?"))
        for name, outcome in record.endpoints.items():
            tally[benchmark][name].append(outcome.quality)
    lines = [f"{path}: accuracy per benchmark (records)"]
    for benchmark, by_endpoint in sorted(tally.items()):
        parts = [
            f"{name} {sum(q) / len(q):.1%}"
            for name, q in sorted(by_endpoint.items(), key=lambda kv: kv[0] != LOCAL)
        ]
        lines.append(f"  {benchmark} ({len(by_endpoint[LOCAL])}): {', '.join(parts)}")
    return "\n".join(lines)
