"""Raw llama-cpp-python versus Tandem's `LlamaCppEndpoint`, on the same loaded model.

What it compares
    One GGUF, one prompt, one set of sampling settings, generated two ways in
    one process and on the SAME `llama_cpp.Llama` object (both go through
    `router.endpoints.llama_model.load_model`, which caches one Llama per
    (path, n_ctx, n_threads)):

    raw     `llama.create_completion(prompt_tokens, max_tokens=M, temperature=T,
            top_p=P, top_k=40, min_p=0.05, repeat_penalty=1.0, seed=S,
            stream=True)`, the natural raw streaming API. `prompt_tokens` is the
            token list the endpoint itself would send (its `_prompt_tokens`,
            computed once, outside the timed region).
            TTFT: call to the first chunk carrying text.
            Decode: (tokens - 1) / (first text chunk -> last chunk).
            Tokens: exact, read back from the KV cache after the run
            (`llama.input_ids[len(prompt):n_tokens]` holds every generated
            token the model evaluated; the last token sampled when a run stops
            on max_tokens is never evaluated, so it is added back).
    tandem  `LlamaCppEndpoint.stream(messages, GenerationOptions(...))`.
            TTFT: call to the first `TokenDelta` (includes chat-template
            rendering and tokenizing, which the endpoint does per call).
            Decode: (output_tokens - 1) / (first TokenDelta -> StreamEnd).
            Tokens: `Usage.output_tokens` from the `StreamEnd` (checked
            against the KV cache the same way). "worker TTFT" and "worker
            tok/s" are the endpoint's own `Usage.ttft_s` and
            `Usage.tokens_per_s`, timed on its worker thread.

    Runs alternate raw, tandem, raw, tandem, ... (N each, plus one warm-up of
    each that is not counted). Both sides are made equally warm: by default
    (`--cache reuse`) both sides reuse llama-cpp-python's cached prompt prefix
    (the previous run had the same prompt, so only one prompt token is
    re-evaluated), which isolates the endpoint's fixed overhead, as in a chat
    whose history is already cached; `--cache reset` calls `llama.reset()`
    before every run, so each TTFT includes a whole prompt evaluation, whose
    run-to-run noise on a small VM (tens of ms) hides a few ms of overhead.
    The mode in use is printed. With a fixed seed both sides sample the same tokens,
    which the script checks run by run on the token ids.

    Reported: per side the median TTFT (ms), median decode tok/s and tokens per
    run; the ratio tandem/raw of median decode tok/s (goal >= 0.97); the TTFT
    overhead, median(tandem) - median(raw) in ms (goal <= 20 ms); the process's
    peak RSS (`ru_maxrss`) and VmRSS before and after loading the model.
    For context it also prints the median of the per-pair ratios and TTFT
    differences (each pair ran back to back, which cancels slow drift).
    The last line printed is exactly `ratio=<x> ttft_overhead_ms=<y>`.

    Reading the numbers: on a small machine run-to-run noise in decode speed is
    a few percent, so use several runs. On the tiny test model the comparison
    only smoke-tests the script: generation is so fast that the tandem
    consumer's first-delta-to-end time mostly measures draining an already
    full queue, and raw `create_completion` spends most of its time re-decoding
    the random model's invalid UTF-8 (it detokenizes the whole completion on
    every token).

How to run (from the repository root)
    .venv/bin/python benchmarks/local_endpoint.py                 # bundled model
    .venv/bin/python benchmarks/local_endpoint.py --runs 5 --max-tokens 128
    .venv/bin/python benchmarks/local_endpoint.py --model path/to/model.gguf
    .venv/bin/python benchmarks/local_endpoint.py --tiny --n-ctx 2048  # tiny test GGUF
    .venv/bin/python benchmarks/local_endpoint.py --json benchmarks/out/local.json

    The default model is the bundled one, assembled into Tandem's models folder
    on first use (`TANDEM_HOME` relocates it). `--tiny` writes the random-weight
    test model from `tests.support.tiny_gguf` to a temporary folder, so run it
    from the repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from router.endpoints.base import StreamEnd, TokenDelta
from router.endpoints.llama_cpp import _MIN_P, _TOP_K, LlamaCppEndpoint
from router.endpoints.llama_model import LoadedModel, load_model
from router.types import GenerationOptions, Message

PROMPT = (
    "Write a detailed tutorial on how hash tables work. Explain hashing, collisions, "
    "chaining and open addressing, resizing and load factor, then give a complete Python "
    "implementation of a hash map class with get, set, delete and resize methods, with "
    "comments on every line, and finish with a worked example and its output."
)


@dataclass
class Run:
    """One timed generation."""

    side: str
    warmup: bool
    ttft_ms: float
    decode_s: float
    tokens: int
    tok_s: float
    finish: str
    text: str = field(repr=False)
    token_ids: list[int] = field(default_factory=list, repr=False)
    worker_tok_s: float | None = None
    worker_ttft_ms: float | None = None


def vm_rss_mb() -> float:
    """Resident set size of this process now, in MiB (Linux /proc; NaN elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _tok_s(tokens: int, decode_s: float) -> float:
    return (tokens - 1) / decode_s if tokens >= 2 and decode_s > 0 else 0.0


def evaluated_tokens(model: LoadedModel, n_prompt: int) -> list[int]:
    """The generated tokens the model evaluated in the run that just ended.

    `llama.input_ids[:n_tokens]` is what the KV cache holds: the prompt, then
    every generated token except the last one sampled when a run stops on
    max_tokens (that one is yielded but never evaluated).
    """
    llama = model.llama
    return [int(t) for t in llama.input_ids[n_prompt : llama.n_tokens]]


def prepare_cache(model: LoadedModel, mode: str) -> None:
    """Put the shared Llama in the same state before every run on either side."""
    if mode == "reset":
        model.llama.reset()


def run_raw(
    model: LoadedModel, prompt_tokens: list[int], opts: GenerationOptions, mode: str, warmup: bool
) -> Run:
    """One streamed `create_completion` on the raw Llama."""
    llama = model.llama
    with model.lock:  # also waits until the previous tandem worker has let go
        prepare_cache(model, mode)
        parts: list[str] = []
        first: float | None = None
        finish = ""
        start = time.perf_counter()
        for chunk in llama.create_completion(
            prompt_tokens,
            max_tokens=opts.max_tokens,
            temperature=opts.temperature,
            top_p=opts.top_p,
            top_k=_TOP_K,
            min_p=_MIN_P,
            repeat_penalty=1.0,
            seed=opts.seed,
            stream=True,
        ):
            choice = chunk["choices"][0]
            if choice["text"]:
                if first is None:
                    first = time.perf_counter()
                parts.append(choice["text"])
            if choice["finish_reason"]:
                finish = choice["finish_reason"]
        end = time.perf_counter()
        token_ids = evaluated_tokens(model, len(prompt_tokens))
        evaluated = len(token_ids)
    # On max_tokens the last sampled token is never evaluated; on EOS every kept one is.
    tokens = evaluated + 1 if finish == "length" else evaluated
    first = first if first is not None else end
    decode_s = end - first
    return Run(
        side="raw",
        warmup=warmup,
        ttft_ms=(first - start) * 1000,
        decode_s=decode_s,
        tokens=tokens,
        tok_s=_tok_s(tokens, decode_s),
        finish=finish,
        text="".join(parts),
        token_ids=token_ids,
    )


async def run_tandem(
    endpoint: LlamaCppEndpoint,
    model: LoadedModel,
    messages: list[Message],
    opts: GenerationOptions,
    mode: str,
    warmup: bool,
) -> Run:
    """One `LlamaCppEndpoint.stream` call."""
    with model.lock:
        prepare_cache(model, mode)
    parts: list[str] = []
    first: float | None = None
    end_event: StreamEnd | None = None
    start = time.perf_counter()
    async for event in endpoint.stream(messages, opts):
        if isinstance(event, TokenDelta):
            if first is None:
                first = time.perf_counter()
            parts.append(event.text)
        elif isinstance(event, StreamEnd):
            end_event = event
    end = time.perf_counter()
    assert end_event is not None, "the stream ended without a StreamEnd"
    with model.lock:  # the worker may still be leaving its `with model.lock`
        token_ids = evaluated_tokens(model, end_event.usage.input_tokens)
    tokens = end_event.usage.output_tokens
    first = first if first is not None else end
    decode_s = end - first
    return Run(
        side="tandem",
        warmup=warmup,
        ttft_ms=(first - start) * 1000,
        decode_s=decode_s,
        tokens=tokens,
        tok_s=_tok_s(tokens, decode_s),
        finish=end_event.finish_reason,
        text="".join(parts),
        token_ids=token_ids,
        worker_tok_s=end_event.usage.tokens_per_s,
        worker_ttft_ms=None if end_event.usage.ttft_s is None else end_event.usage.ttft_s * 1000,
    )


def default_model() -> Path:
    """The bundled model, assembled into Tandem's models folder if needed."""
    from router.models.manager import ModelManager
    from router.paths import resolve_paths

    return ModelManager(resolve_paths().ensure().models_dir).resolve("bundled")


def summarize(runs: list[Run]) -> dict[str, Any]:
    """Medians (and spread) of the counted runs of one side."""
    return {
        "runs": len(runs),
        "ttft_ms_median": statistics.median(r.ttft_ms for r in runs),
        "ttft_ms_min": min(r.ttft_ms for r in runs),
        "ttft_ms_max": max(r.ttft_ms for r in runs),
        "tok_s_median": statistics.median(r.tok_s for r in runs),
        "tok_s_min": min(r.tok_s for r in runs),
        "tok_s_max": max(r.tok_s for r in runs),
        "tokens": [r.tokens for r in runs],
        "finish": sorted({r.finish for r in runs}),
        "worker_ttft_ms_median": (
            statistics.median(r.worker_ttft_ms for r in runs if r.worker_ttft_ms is not None)
            if all(r.worker_ttft_ms is not None for r in runs)
            else None
        ),
        "worker_tok_s_median": (
            statistics.median(r.worker_tok_s for r in runs if r.worker_tok_s is not None)
            if all(r.worker_tok_s is not None for r in runs)
            else None
        ),
    }


async def bench(args: argparse.Namespace, model_path: Path) -> dict[str, Any]:
    """Load the model, alternate the two sides and return every measurement."""
    rss_before = vm_rss_mb()
    t0 = time.perf_counter()
    model = load_model(model_path, args.n_ctx, args.threads)
    load_s = time.perf_counter() - t0
    rss_after = vm_rss_mb()

    endpoint = LlamaCppEndpoint(model_path, n_ctx=args.n_ctx, n_threads=args.threads)
    await endpoint.prepare()
    assert endpoint._model is model, "the endpoint did not get the shared Llama"

    messages = [Message(role="user", content=args.prompt)]
    opts = GenerationOptions(
        max_tokens=args.max_tokens, temperature=args.temperature, top_p=args.top_p, seed=args.seed
    )
    prompt_tokens = endpoint._prompt_tokens(model, messages)
    t0 = time.perf_counter()
    for _ in range(20):
        endpoint._prompt_tokens(model, messages)
    render_ms = (time.perf_counter() - t0) / 20 * 1000

    runs: list[Run] = []
    for i in range(args.runs + 1):
        warmup = i == 0
        runs.append(run_raw(model, prompt_tokens, opts, args.cache, warmup))
        runs.append(await run_tandem(endpoint, model, messages, opts, args.cache, warmup))
        if not args.quiet:
            for r in runs[-2:]:
                label = "warm-up" if warmup else f"run {i}"
                print(
                    f"  {label:8} {r.side:6} ttft {r.ttft_ms:8.1f} ms  "
                    f"{r.tok_s:7.2f} tok/s  {r.tokens:4d} tokens  ({r.finish})",
                    flush=True,
                )

    llama = model.llama
    return {
        "model": str(model_path),
        "model_bytes": model_path.stat().st_size,
        "n_ctx": args.n_ctx,
        "n_threads": llama.n_threads,
        "n_threads_batch": llama.n_threads_batch,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "llama_cpp_version": __import__("llama_cpp").__version__,
        "cache_mode": args.cache,
        "prompt_tokens": len(prompt_tokens),
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "top_k": _TOP_K,
        "min_p": _MIN_P,
        "seed": args.seed,
        "load_s": load_s,
        "prompt_render_ms": render_ms,
        "rss_before_load_mb": rss_before,
        "rss_after_load_mb": rss_after,
        "runs": [asdict(r) for r in runs],
    }


def report(result: dict[str, Any]) -> dict[str, Any]:
    """Print the tables; return the summary added to the result."""
    runs = [Run(**r) for r in result["runs"]]
    counted = {
        side: [r for r in runs if r.side == side and not r.warmup] for side in ("raw", "tandem")
    }
    raw, tandem = summarize(counted["raw"]), summarize(counted["tandem"])
    ratio = tandem["tok_s_median"] / raw["tok_s_median"] if raw["tok_s_median"] else 0.0
    overhead = tandem["ttft_ms_median"] - raw["ttft_ms_median"]
    # The same figures pair by pair (run i of each side ran back to back), which
    # cancels slow drift in machine speed; shown for context, not the headline.
    pairs = list(zip(counted["raw"], counted["tandem"], strict=True))
    paired_ratio = statistics.median(b.tok_s / a.tok_s for a, b in pairs if a.tok_s)
    paired_ttft = statistics.median(b.ttft_ms - a.ttft_ms for a, b in pairs)
    same_tokens = all(a.token_ids == b.token_ids for a, b in pairs)
    same_text = all(a.text == b.text for a, b in pairs)
    # Tandem's Usage count against the tokens its run left in the KV cache.
    usage_matches = all(
        r.tokens == len(r.token_ids) + (1 if r.finish == "length" else 0) for r in counted["tandem"]
    )
    peak = peak_rss_mb()

    cache_line = {
        "reset": "llama.reset() before every run on both sides (full prompt eval each run)",
        "reuse": "no reset: both sides reuse llama-cpp-python's cached prompt prefix",
    }[result["cache_mode"]]
    print()
    print(f"model      {result['model']} ({result['model_bytes'] / 1e6:.0f} MB)")
    print(
        f"settings   n_ctx={result['n_ctx']} n_threads={result['n_threads']} "
        f"(batch {result['n_threads_batch']}, {result['cpu_count']} CPUs) "
        f"llama_cpp={result['llama_cpp_version']}"
    )
    print(
        f"sampling   prompt={result['prompt_tokens']} tokens max_tokens={result['max_tokens']} "
        f"temperature={result['temperature']} top_p={result['top_p']} top_k={result['top_k']} "
        f"min_p={result['min_p']} repeat_penalty=1.0 seed={result['seed']}"
    )
    print(f"kv cache   {cache_line}")
    print(
        f"order      alternating raw/tandem, 1 warm-up each (not counted) + {raw['runs']} runs each"
    )
    print()
    print(
        f"{'side':8}{'median TTFT ms':>16}{'median tok/s':>14}{'tok/s min-max':>18}"
        f"{'worker TTFT':>13}{'worker tok/s':>14}  tokens per run"
    )
    for name, s in (("raw", raw), ("tandem", tandem)):
        spread = f"{s['tok_s_min']:.2f}-{s['tok_s_max']:.2f}"
        w_ttft = "-" if s["worker_ttft_ms_median"] is None else f"{s['worker_ttft_ms_median']:.1f}"
        w_tok_s = "-" if s["worker_tok_s_median"] is None else f"{s['worker_tok_s_median']:.2f}"
        tokens = ",".join(str(t) for t in s["tokens"])
        print(
            f"{name:8}{s['ttft_ms_median']:16.1f}{s['tok_s_median']:14.2f}{spread:>18}"
            f"{w_ttft:>13}{w_tok_s:>14}  {tokens}"
        )
    print()
    verdict_ratio = "ok" if ratio >= 0.97 else "MISSED"
    verdict_ttft = "ok" if overhead <= 20 else "MISSED"
    print(
        f"decode ratio tandem/raw  {ratio:.4f}   (goal >= 0.97: {verdict_ratio}); "
        f"median of paired ratios {paired_ratio:.4f}"
    )
    print(
        f"TTFT overhead            {overhead:+.1f} ms (goal <= 20 ms: {verdict_ttft}); "
        f"median of paired differences {paired_ttft:+.1f} ms"
    )
    print(
        "  of which prompt render+tokenize (per call, tandem only): "
        f"{result['prompt_render_ms']:.1f} ms"
    )
    print(
        f"same generated tokens    {'yes' if same_tokens else 'NO'} (run by run, token ids); "
        f"same text: {'yes' if same_text else 'no'}"
    )
    print(f"tandem Usage count exact {'yes' if usage_matches else 'NO'} (vs the KV cache)")
    print(
        f"memory                   VmRSS before load {result['rss_before_load_mb']:.0f} MiB, "
        f"after load {result['rss_after_load_mb']:.0f} MiB, at end {vm_rss_mb():.0f} MiB; "
        f"peak RSS (ru_maxrss) {peak:.0f} MiB"
    )
    print(f"load time                {result['load_s']:.2f} s")
    summary = {
        "raw": raw,
        "tandem": tandem,
        "ratio": ratio,
        "paired_ratio_median": paired_ratio,
        "paired_ttft_diff_ms_median": paired_ttft,
        "ttft_overhead_ms": overhead,
        "same_tokens": same_tokens,
        "same_text": same_text,
        "usage_count_exact": usage_matches,
        "peak_rss_mb": peak,
        "rss_end_mb": vm_rss_mb(),
    }
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, help="GGUF file (default: the bundled model)")
    p.add_argument("--tiny", action="store_true", help="use the tiny random test GGUF")
    p.add_argument("--runs", type=int, default=5, help="counted runs per side (default 5)")
    p.add_argument("--max-tokens", type=int, default=128, help="tokens per run (default 128)")
    p.add_argument("--n-ctx", type=int, default=4096, help="context size (default 4096)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads; 0: llama.cpp's default")
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--prompt", default=PROMPT, help="user message (should give a long answer)")
    p.add_argument(
        "--cache",
        choices=("reset", "reuse"),
        default="reuse",
        help="reuse: both sides reuse the prompt prefix; reset: llama.reset() before every run",
    )
    p.add_argument("--json", type=Path, help="also write every measurement here")
    p.add_argument("--quiet", action="store_true", help="do not print each run")
    args = p.parse_args(argv)
    if args.runs < 1 or args.max_tokens < 2:
        p.error("--runs must be >= 1 and --max-tokens >= 2")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the last line printed is `ratio=<x> ttft_overhead_ms=<y>`."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.tiny:
            from tests.support.tiny_gguf import write_tiny_gguf

            model_path = write_tiny_gguf(Path(tmp) / "tiny.gguf")
        else:
            model_path = args.model.expanduser().resolve() if args.model else default_model()
        result = asyncio.run(bench(args, model_path))
        result["summary"] = report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        print(f"results written to {args.json}")
    s = result["summary"]
    print(f"ratio={s['ratio']:.3f} ttft_overhead_ms={s['ttft_overhead_ms']:.1f}")
    return 0


if __name__ == "__main__":
    if str(Path.cwd()) not in sys.path:  # `--tiny` imports tests.support from the repo root
        sys.path.insert(0, str(Path.cwd()))
    sys.exit(main())
