"""Raw llama-cpp-python in-process versus Tandem's `LlamaCppEndpoint` through its worker.

What it compares
    One GGUF, one prompt, one set of sampling settings, generated two ways in
    one run. Tandem's endpoint runs the model in a supervised worker process
    (`llama_supervisor`, `llama_worker`); the raw side loads its own
    `llama_cpp.Llama(model_path, n_ctx=...)` in the benchmark's process, with
    the CPU settings the worker uses (its `LoadProfile`, read from
    `endpoint.model.host.profile` after `prepare()`: extra CPU buffers,
    mmap, one thread). Loading the raw Llama with llama.cpp's defaults instead
    would crash this process on CPUs where the worker's self-test fell back
    (AMX: `use_extra_bufts` on segfaults at the first decode).

    raw     `--raw completion` (default): `llama.create_completion(prompt_tokens,
            max_tokens=M, temperature=T, top_p=P, top_k=40, min_p=0.05,
            repeat_penalty=1.0, seed=S, stream=True)`, the natural raw
            streaming API. `--raw generate`: the worker's own loop run in-process
            (`llama.generate(...)`, one `detokenize` per token through an
            incremental UTF-8 decoder), which isolates what the process
            boundary costs. `prompt_tokens` is the token list the endpoint
            itself sends (its `_prompt_tokens`, computed once, outside the
            timed region).
            TTFT: call to the first chunk carrying text.
            Decode: (tokens - 1) / (first text chunk -> last chunk).
            Tokens: exact, read back from the raw KV cache after the run
            (`llama.input_ids[len(prompt):n_tokens]` holds every generated
            token the model evaluated; the last token sampled when a run stops
            on max_tokens is never evaluated, so it is counted back).
    tandem  `LlamaCppEndpoint.stream(messages, GenerationOptions(...))`.
            TTFT: call to the first `TokenDelta` (includes rendering the chat
            template and the tokenize round trip to the worker, which the
            endpoint does per call).
            Decode: (output_tokens - 1) / (first TokenDelta -> StreamEnd).
            Tokens: `Usage.output_tokens` from the `StreamEnd`, checked against
            the worker's KV cache (`LoadedModel.stats()["n_tokens"]`).
            "endpoint TTFT" and "endpoint tok/s" are the endpoint's own
            `Usage.ttft_s` (to the first TOKEN message, empty ones included)
            and `Usage.tokens_per_s`.

    Same tokens: with one seed both sides sample the same tokens, checked run
    by run. The worker's token ids do not leave it, so the check compares text
    token by token: the raw side's ids (from its KV cache) decoded one token at
    a time exactly as the worker decodes them must give the same sequence of
    non-empty pieces as the endpoint's `TokenDelta`s, with the same token
    count and finish reason (with `--raw completion` the last, never
    evaluated token of a max_tokens run is not in the raw KV cache: its piece
    is covered by the whole-text comparison). "same text" also compares
    the two whole texts.

    Runs alternate raw, tandem, raw, tandem, ... (N each, plus one warm-up of
    each that is not counted), so every run follows a run of the other side:
    on this VM a run that follows its own side's previous run reached its
    first token about 10 ms sooner (an ABBA order mixed the two cases and
    made the per-pair differences bimodal). Both sides are made equally warm: by default
    (`--cache reuse`) both reuse llama-cpp-python's cached prompt prefix (the
    previous run had the same prompt, so only one prompt token is
    re-evaluated), which isolates the endpoint's fixed overhead, as in a chat
    whose history is already cached. `--cache reset` clears the raw KV cache
    (`llama.reset()`) and, outside the timed region, makes the worker
    evaluate a one-token prompt that shares no prefix with the real one, so
    each TTFT includes a whole prompt evaluation, whose run-to-run noise on a
    small VM (tens of ms) hides a few ms of overhead.

    Restart after a crash: `TANDEM_LLAMA_FAULT=segv-once:FLAG` is set before
    the endpoint's worker starts (each worker reads it at start). The script
    touches FLAG and asks a short question: the worker deletes FLAG and dies
    of SIGSEGV at that turn's first decode, the turn raises
    `LocalModelCrashedError`, and the supervisor starts a new worker. Timed
    from the crash (a watcher thread sees FLAG vanish, within 0.5 ms) to the
    exception, to a live worker again (`await endpoint.prepare()` returns),
    and to the first token of the next turn (a cold KV cache: a whole prompt
    evaluation). Repeated `--restarts` times. The model's load time is the
    median of `--loads` in-process `Llama(...)` loads with the same settings
    (the file is in the page cache by then, as it is for a restart). Where
    the worker runs with extra buffers on, a crash under the `auto` setting
    would move it to a safer profile and self-test that; the restart phase
    then uses an endpoint with `extra_buffers="on"`, which restarts as is.

    Reported: per side the median TTFT (ms), median decode tok/s and tokens per
    run; the ratio tandem/raw of median decode tok/s (goal >= 0.97); the TTFT
    overhead, median(tandem) - median(raw) in ms (goal <= 20 ms) and what
    the endpoint does per call before generating (render, tokenize round
    trip); the median restart time against load time + 1 s (goal); the
    benchmark process's VmRSS before and after loading the raw Llama and its
    peak (`ru_maxrss`), and the worker's VmRSS and peak (VmHWM, from
    /proc/<pid>/status). For context it also prints the median of the
    per-pair ratios and TTFT differences (each pair ran back to back, which
    cancels slow drift). The last line printed is exactly
    `ratio=<x> ttft_overhead_ms=<y>`.

    Reading the numbers: on a small machine run-to-run noise in decode speed is
    a few percent, so use several runs. On the tiny test model the comparison
    only smoke-tests the script: generation is so fast that per-token costs
    (one message per token from the worker) dominate, and raw
    `create_completion` spends most of its time re-decoding the random model's
    invalid UTF-8 (it detokenizes the whole completion on every token).

How to run (from the repository root)
    .venv/bin/python benchmarks/local_endpoint.py                 # bundled model
    .venv/bin/python benchmarks/local_endpoint.py --runs 7 --max-tokens 128
    .venv/bin/python benchmarks/local_endpoint.py --raw generate  # the worker's loop in-process
    .venv/bin/python benchmarks/local_endpoint.py --model path/to/model.gguf
    .venv/bin/python benchmarks/local_endpoint.py --tiny --n-ctx 2048  # tiny test GGUF
    .venv/bin/python benchmarks/local_endpoint.py --json benchmarks/out/local.json

    The default model is the bundled one, assembled into Tandem's models folder
    on first use (`TANDEM_HOME` relocates it, and the self-test record the
    worker keeps). `--tiny` writes the random-weight test model from
    `tests.support.tiny_gguf` to a temporary folder, so run it from the
    repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import importlib
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from router.endpoints.base import StreamEnd, TokenDelta
from router.endpoints.llama_checks import LoadProfile
from router.endpoints.llama_cpp import _MIN_P, _TOP_K, LlamaCppEndpoint, _formatter, _request
from router.endpoints.llama_faults import ENV as FAULT_ENV
from router.endpoints.llama_model import LoadedModel, unload_all
from router.endpoints.llama_protocol import LoadRequest
from router.endpoints.llama_tools import chat_messages
from router.endpoints.llama_worker import open_llama
from router.errors import LocalModelCrashedError
from router.types import GenerationOptions, Message

PROMPT = (
    "Write a detailed tutorial on how hash tables work. Explain hashing, collisions, "
    "chaining and open addressing, resizing and load factor, then give a complete Python "
    "implementation of a hash map class with get, set, delete and resize methods, with "
    "comments on every line, and finish with a worked example and its output."
)
RESTART_QUESTION = "What is the capital of France? Answer with one word."
RATIO_GOAL, TTFT_GOAL_MS, RESTART_SLACK_S = 0.97, 20.0, 1.0


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
    pieces: list[str] = field(default_factory=list, repr=False)  # non-empty text per token
    token_ids: list[int] = field(default_factory=list, repr=False)  # raw: exact, from the KV
    kv_tokens: int = 0  # generated tokens in the side's KV cache after the run
    endpoint_tok_s: float | None = None
    endpoint_ttft_ms: float | None = None


@dataclass
class Restart:
    """One injected crash and the worker's recovery, timed from the crash."""

    old_pid: int | None
    new_pid: int | None
    to_error_ms: float  # crash -> the turn's LocalModelCrashedError
    to_ready_s: float  # crash -> a live worker again (`prepare()` returned)
    to_first_token_s: float  # crash -> first token of the next turn
    message: str
    next_answer: str


# -- measuring helpers ----------------------------------------------------------------


def proc_status_mb(pid: int | str, key: str) -> float:
    """A memory figure (`VmRSS`, `VmHWM`) of a process, in MiB (Linux /proc; NaN elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
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


def _expected_kv(tokens: int, finish: str) -> int:
    """Generated tokens left in a KV cache: all but the last sampled one of a max_tokens run."""
    return tokens - 1 if finish == "length" else tokens


def token_pieces(llama: Any, ids: list[int], *, final: bool) -> list[str]:
    """The non-empty text pieces the worker would send for `ids` (its decoding, token by token)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pieces = [decoder.decode(llama.detokenize([t])) for t in ids]
    if final:
        pieces.append(decoder.decode(b"", final=True))
    return [p for p in pieces if p]


def load_raw(path: Path, n_ctx: int, n_threads: int, profile: LoadProfile) -> Any:
    """A `llama_cpp.Llama` in this process, with the settings the worker loaded its own with."""
    request = LoadRequest(
        path=str(path),
        n_ctx=n_ctx,
        n_threads=n_threads,
        extra_buffers=profile.extra_buffers,
        use_mmap=profile.use_mmap,
        single_thread=profile.single_thread,
    )
    return open_llama(request)


# -- the two sides ----------------------------------------------------------------------


def run_raw(
    llama: Any,
    prompt_tokens: list[int],
    opts: GenerationOptions,
    api: str,
    mode: str,
    warmup: bool,
) -> Run:
    """One streamed generation on the raw in-process Llama."""
    import llama_cpp

    if mode == "reset":
        llama.reset()
    parts: list[str] = []
    ids: list[int] = []
    first: float | None = None
    finish = "length"
    start = time.perf_counter()
    if api == "completion":
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
    else:  # the worker's `_stream` loop, in this process
        llama.set_seed(opts.seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        vocab = llama._model.vocab
        for token in llama.generate(
            prompt_tokens,
            top_k=_TOP_K,
            top_p=opts.top_p,
            min_p=_MIN_P,
            temp=opts.temperature,
            repeat_penalty=1.0,
        ):
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                finish = "stop"
                break
            ids.append(int(token))
            piece = decoder.decode(llama.detokenize([token]))
            if piece:
                if first is None:
                    first = time.perf_counter()
                parts.append(piece)
            if len(ids) >= opts.max_tokens:
                break
        tail = decoder.decode(b"", final=True)
        if tail:
            parts.append(tail)
    end = time.perf_counter()
    evaluated = [int(t) for t in llama.input_ids[len(prompt_tokens) : llama.n_tokens]]
    if api == "completion":
        ids = evaluated
        tokens = len(evaluated) + 1 if finish == "length" else len(evaluated)
    else:
        tokens = len(ids)
    first = first if first is not None else end
    decode_s = end - first
    complete = api == "generate" or finish != "length"
    return Run(
        side="raw",
        warmup=warmup,
        ttft_ms=(first - start) * 1000,
        decode_s=decode_s,
        tokens=tokens,
        tok_s=_tok_s(tokens, decode_s),
        finish=finish,
        text="".join(parts),
        pieces=token_pieces(llama, ids, final=complete),
        token_ids=ids,
        kv_tokens=len(evaluated),
    )


async def flush_worker_cache(
    endpoint: LlamaCppEndpoint, model: LoadedModel, prompt_tokens: list[int]
) -> None:
    """Leave one token in the worker's KV cache that shares no prefix with the prompt."""
    other = (prompt_tokens[0] + 1) % model.n_vocab
    job = _request([other], 1, GenerationOptions(max_tokens=1, temperature=0.0, seed=0))
    async for _ in endpoint._run(model, job, time.perf_counter()):
        pass


async def run_tandem(
    endpoint: LlamaCppEndpoint,
    model: LoadedModel,
    messages: list[Message],
    prompt_tokens: list[int],
    opts: GenerationOptions,
    mode: str,
    warmup: bool,
) -> Run:
    """One `LlamaCppEndpoint.stream` call."""
    if mode == "reset":
        await flush_worker_cache(endpoint, model, prompt_tokens)
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
    stats = await asyncio.to_thread(model.wait_idle)
    usage = end_event.usage
    first = first if first is not None else end
    decode_s = end - first
    return Run(
        side="tandem",
        warmup=warmup,
        ttft_ms=(first - start) * 1000,
        decode_s=decode_s,
        tokens=usage.output_tokens,
        tok_s=_tok_s(usage.output_tokens, decode_s),
        finish=end_event.finish_reason,
        text="".join(parts),
        pieces=parts,
        kv_tokens=int(stats["n_tokens"]) - usage.input_tokens,
        endpoint_tok_s=usage.tokens_per_s,
        endpoint_ttft_ms=None if usage.ttft_s is None else usage.ttft_s * 1000,
    )


def same_tokens(raw: Run, tandem: Run) -> bool:
    """Whether both sides sampled the same tokens (see the module docstring)."""
    if (raw.tokens, raw.finish) != (tandem.tokens, tandem.finish):
        return False
    if len(raw.token_ids) == raw.tokens:  # every id known: the pieces must match exactly
        return raw.pieces == tandem.pieces
    # The last token of a max_tokens run is missing: its piece (and the tail) come after.
    n = len(raw.pieces)
    return tandem.pieces[:n] == raw.pieces and len(tandem.pieces) <= n + 2


# -- restart after a crash --------------------------------------------------------------


def _watch_unlink(path: Path, seen: list[float], stop: threading.Event) -> None:
    """Record when `path` disappears (the worker deletes it just before it crashes)."""
    while not stop.is_set():
        if not path.exists():
            seen.append(time.perf_counter())
            return
        time.sleep(0.0005)


async def measure_restart(
    endpoint: LlamaCppEndpoint, flag: Path, messages: list[Message], opts: GenerationOptions
) -> Restart:
    """Crash the worker at a turn's first decode; time its restart and the next first token."""
    await endpoint.prepare()
    model = endpoint.model
    assert model is not None and model.host.worker is not None
    old_pid = model.host.worker.pid
    flag.touch()
    seen: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_unlink, args=(flag, seen, stop), daemon=True)
    watcher.start()
    message = ""
    try:
        async for _ in endpoint.stream(messages, opts):
            pass
    except LocalModelCrashedError as exc:
        message = exc.message
    t_error = time.perf_counter()
    stop.set()
    watcher.join()
    if not message or not seen:
        flag.unlink(missing_ok=True)
        raise RuntimeError("the injected crash did not happen (is TANDEM_LLAMA_FAULT honoured?)")
    crashed = seen[0]
    await endpoint.prepare()
    t_ready = time.perf_counter()
    new_worker = model.host.worker
    first: float | None = None
    parts: list[str] = []
    async for event in endpoint.stream(messages, opts):
        if isinstance(event, TokenDelta):
            first = first if first is not None else time.perf_counter()
            parts.append(event.text)
    t_first = first if first is not None else time.perf_counter()
    return Restart(
        old_pid=old_pid,
        new_pid=new_worker.pid if new_worker else None,
        to_error_ms=(t_error - crashed) * 1000,
        to_ready_s=t_ready - crashed,
        to_first_token_s=t_first - crashed,
        message=message,
        next_answer="".join(parts).strip(),
    )


# -- the benchmark ---------------------------------------------------------------------


def default_model() -> Path:
    """The bundled model, assembled into Tandem's models folder if needed."""
    from router.models.manager import ModelManager
    from router.paths import resolve_paths

    return ModelManager(resolve_paths().ensure().models_dir).resolve("bundled")


def _per_call_ms(fn: Any, n: int = 50) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1000


async def bench(args: argparse.Namespace, model_path: Path, tmp: Path) -> dict[str, Any]:
    """Start the worker, load the raw Llama, alternate the two sides, crash and restart."""
    # Every worker reads the fault plan when it starts, so set it before the first one.
    flag = tmp / "crash-next-turn"
    fault = f"segv-once:{flag}"
    os.environ[FAULT_ENV] = ",".join(filter(None, [os.environ.get(FAULT_ENV, ""), fault]))

    endpoint = LlamaCppEndpoint(model_path, n_ctx=args.n_ctx, n_threads=args.threads)
    t0 = time.perf_counter()
    await endpoint.prepare()
    worker_start_s = time.perf_counter() - t0
    model = endpoint.model
    assert model is not None and model.host.worker is not None
    profile = model.host.profile
    worker_pid = model.host.worker.pid

    # The raw side: its own Llama in this process, with the worker's profile.
    rss_before = proc_status_mb("self", "VmRSS")
    load_times: list[float] = []
    llama: Any = None
    for _ in range(args.loads):
        if llama is not None:
            llama.close()
            llama = None
        t0 = time.perf_counter()
        llama = load_raw(model_path, args.n_ctx, args.threads, profile)
        load_times.append(time.perf_counter() - t0)
    rss_after = proc_status_mb("self", "VmRSS")

    messages = [Message(role="user", content=args.prompt)]
    opts = GenerationOptions(
        max_tokens=args.max_tokens, temperature=args.temperature, top_p=args.top_p, seed=args.seed
    )
    # What the endpoint does per call before the worker generates, and its cost.
    native = "tools" in (model.chat_template or "")
    rendered = _formatter(model)(messages=chat_messages(messages, native_tools=native))
    add_bos = not rendered.added_special
    prompt_tokens = endpoint._prompt_tokens(model, messages)
    raw_prompt = [
        int(t) for t in llama.tokenize(rendered.prompt.encode(), add_bos=add_bos, special=True)
    ]
    per_call = {
        "render_tokenize_ms": _per_call_ms(lambda: endpoint._prompt_tokens(model, messages)),
        "tokenize_rpc_ms": _per_call_ms(
            lambda: model.tokenize(rendered.prompt, add_bos=add_bos, special=True)
        ),
        "tokenize_inprocess_ms": _per_call_ms(
            lambda: llama.tokenize(rendered.prompt.encode(), add_bos=add_bos, special=True)
        ),
        "stats_rpc_ms": _per_call_ms(model.stats),
    }

    runs: list[Run] = []
    for i in range(args.runs + 1):
        warmup = i == 0
        runs.append(run_raw(llama, prompt_tokens, opts, args.raw, args.cache, warmup))
        runs.append(
            await run_tandem(endpoint, model, messages, prompt_tokens, opts, args.cache, warmup)
        )
        if not args.quiet:
            for r in runs[-2:]:
                label = "warm-up" if warmup else f"run {i}"
                print(
                    f"  {label:8} {r.side:6} ttft {r.ttft_ms:8.1f} ms  "
                    f"{r.tok_s:7.2f} tok/s  {r.tokens:4d} tokens  ({r.finish})",
                    flush=True,
                )
    worker_rss = proc_status_mb(worker_pid or 0, "VmRSS")
    worker_hwm = proc_status_mb(worker_pid or 0, "VmHWM")
    result: dict[str, Any] = {
        "model": str(model_path),
        "model_bytes": model_path.stat().st_size,
        "n_ctx": args.n_ctx,
        "n_threads": llama.n_threads,
        "n_threads_batch": llama.n_threads_batch,
        "raw_use_extra_bufts": bool(getattr(llama.model_params, "use_extra_bufts", False)),
        "profile": profile.name,
        "profile_settings": profile.describe(),
        "host_notices": list(model.host.notices),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "llama_cpp_version": importlib.import_module("llama_cpp").__version__,
        "raw_api": args.raw,
        "cache_mode": args.cache,
        "prompt_tokens": len(prompt_tokens),
        "prompt_tokens_identical": prompt_tokens == raw_prompt,
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "top_k": _TOP_K,
        "min_p": _MIN_P,
        "seed": args.seed,
        "worker_start_s": worker_start_s,
        "load_s": load_times,
        "per_call": per_call,
        "rss_before_load_mb": rss_before,
        "rss_after_load_mb": rss_after,
        "worker_pid": worker_pid,
        "worker_rss_mb": worker_rss,
        "worker_hwm_mb": worker_hwm,
        "runs": [asdict(r) for r in runs],
        "_runs": runs,
    }
    llama.close()

    restarts: list[Restart] = []
    if args.restarts:
        target = endpoint
        if profile.extra_buffers:
            # Under `auto` a SIGSEGV with extra buffers on moves to a safer profile (and
            # self-tests it); "on" restarts the same settings, which is what is timed here.
            await asyncio.to_thread(endpoint.unload)
            target = LlamaCppEndpoint(
                model_path, n_ctx=args.n_ctx, n_threads=args.threads, extra_buffers="on"
            )
        short = GenerationOptions(max_tokens=8, temperature=0.0, seed=args.seed)
        question = [Message(role="user", content=RESTART_QUESTION)]
        for i in range(args.restarts):
            rs = await measure_restart(target, flag, question, short)
            restarts.append(rs)
            if not args.quiet:
                print(
                    f"  restart {i + 1}: pid {rs.old_pid} -> {rs.new_pid}  error after "
                    f"{rs.to_error_ms:.1f} ms, ready after {rs.to_ready_s:.2f} s, "
                    f"next first token after {rs.to_first_token_s:.2f} s",
                    flush=True,
                )
        assert target.model is not None
        result["restart_profile"] = target.model.host.profile.describe()
        new = target.model.host.worker
        result["restarted_worker_rss_mb"] = proc_status_mb(new.pid or 0, "VmRSS") if new else None
    result["restarts"] = [asdict(r) for r in restarts]
    await asyncio.to_thread(unload_all)
    return result


# -- the report --------------------------------------------------------------------------


def summarize(runs: list[Run]) -> dict[str, Any]:
    """Medians (and spread) of the counted runs of one side."""
    e_ttft = [r.endpoint_ttft_ms for r in runs if r.endpoint_ttft_ms is not None]
    e_tok_s = [r.endpoint_tok_s for r in runs if r.endpoint_tok_s is not None]
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
        "endpoint_ttft_ms_median": statistics.median(e_ttft) if len(e_ttft) == len(runs) else None,
        "endpoint_tok_s_median": statistics.median(e_tok_s) if len(e_tok_s) == len(runs) else None,
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(result: dict[str, Any]) -> dict[str, Any]:
    """Print the tables and verdicts; return the summary added to the result."""
    runs: list[Run] = result.pop("_runs")
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
    tokens_ok = [same_tokens(a, b) for a, b in pairs]
    text_ok = [a.text == b.text for a, b in pairs]
    kv_ok = all(r.kv_tokens == _expected_kv(r.tokens, r.finish) for r in runs)
    peak = peak_rss_mb()
    loads = result["load_s"]
    load_s = statistics.median(loads)

    cache_line = {
        "reset": "every run evaluates the whole prompt (raw: llama.reset(); worker: a one-token "
        "prompt with no common prefix first, untimed)",
        "reuse": "both sides reuse their cached prompt prefix (one prompt token re-evaluated)",
    }[result["cache_mode"]]
    raw_line = {
        "completion": "create_completion(stream=True) in this process",
        "generate": "the worker's generate loop run in this process",
    }[result["raw_api"]]
    print()
    print(f"model      {result['model']} ({result['model_bytes'] / 1e6:.0f} MB)")
    print(
        f"settings   n_ctx={result['n_ctx']} n_threads={result['n_threads']} "
        f"(batch {result['n_threads_batch']}, {result['cpu_count']} CPUs, "
        f"{result['machine']}) llama_cpp={result['llama_cpp_version']}"
    )
    print(
        f"profile    worker: {result['profile']} ({result['profile_settings']}); raw Llama "
        f"use_extra_bufts={result['raw_use_extra_bufts']}"
    )
    for notice in result["host_notices"]:
        print(f"           {notice}")
    print(
        f"sampling   prompt={result['prompt_tokens']} tokens max_tokens={result['max_tokens']} "
        f"temperature={result['temperature']} top_p={result['top_p']} top_k={result['top_k']} "
        f"min_p={result['min_p']} repeat_penalty=1.0 seed={result['seed']}"
    )
    print(f"raw side   {raw_line}")
    print(f"kv cache   {cache_line}")
    print(
        f"order      alternating raw/tandem, 1 warm-up each (not counted) + {raw['runs']} runs each"
    )
    print()
    print(
        f"{'side':8}{'median TTFT ms':>16}{'median tok/s':>14}{'tok/s min-max':>18}"
        f"{'endpoint TTFT':>15}{'endpoint tok/s':>16}  tokens per run"
    )
    for name, s in (("raw", raw), ("tandem", tandem)):
        spread = f"{s['tok_s_min']:.2f}-{s['tok_s_max']:.2f}"
        e_ttft = (
            "-" if s["endpoint_ttft_ms_median"] is None else f"{s['endpoint_ttft_ms_median']:.1f}"
        )
        e_tok_s = "-" if s["endpoint_tok_s_median"] is None else f"{s['endpoint_tok_s_median']:.2f}"
        tokens = ",".join(str(t) for t in s["tokens"])
        print(
            f"{name:8}{s['ttft_ms_median']:16.1f}{s['tok_s_median']:14.2f}{spread:>18}"
            f"{e_ttft:>15}{e_tok_s:>16}  {tokens}"
        )
    print()
    print(
        f"{'pair':>5}{'raw TTFT':>10}{'tandem':>9}{'diff ms':>9}{'raw tok/s':>11}{'tandem':>9}"
        f"{'ratio':>8}  same tokens"
    )
    for i, (a, b) in enumerate(pairs, 1):
        print(
            f"{i:5d}{a.ttft_ms:10.1f}{b.ttft_ms:9.1f}{b.ttft_ms - a.ttft_ms:+9.1f}"
            f"{a.tok_s:11.2f}{b.tok_s:9.2f}{b.tok_s / a.tok_s if a.tok_s else 0:8.4f}  "
            f"{'yes' if tokens_ok[i - 1] else 'NO'}"
        )

    restarts = [Restart(**r) for r in result["restarts"]]
    restart_s = statistics.median(r.to_ready_s for r in restarts) if restarts else None
    if restarts:
        print()
        print(
            f"{'restart':>8}{'pid':>18}{'crash->error ms':>17}{'crash->ready s':>16}"
            f"{'crash->1st token s':>20}"
        )
        for i, r in enumerate(restarts, 1):
            pids = f"{r.old_pid}->{r.new_pid}"
            print(
                f"{i:8d}{pids:>18}{r.to_error_ms:17.1f}{r.to_ready_s:16.3f}"
                f"{r.to_first_token_s:20.3f}"
            )
        print(
            f"{'median':>8}{'':>18}{statistics.median(r.to_error_ms for r in restarts):17.1f}"
            f"{restart_s:16.3f}{statistics.median(r.to_first_token_s for r in restarts):20.3f}"
        )
        print(f"  the failed turn said: {restarts[0].message}")
        print(f"  the next turn answered: {restarts[-1].next_answer!r}")
        print(f"  restarted with: {result.get('restart_profile', '?')}")

    pc = result["per_call"]
    print()
    ratio_ok = ratio >= RATIO_GOAL
    ttft_ok = overhead <= TTFT_GOAL_MS
    print(
        f"decode ratio tandem/raw  {ratio:.4f}  goal >= {RATIO_GOAL}: {_verdict(ratio_ok)}  "
        f"(median of paired ratios {paired_ratio:.4f})"
    )
    print(
        f"TTFT overhead            {overhead:+.1f} ms  goal <= {TTFT_GOAL_MS:.0f} ms: "
        f"{_verdict(ttft_ok)}  (median of paired differences {paired_ttft:+.1f} ms)"
    )
    print(
        f"  per call before the worker generates: render + tokenize {pc['render_tokenize_ms']:.2f}"
        f" ms, of which the tokenize round trip {pc['tokenize_rpc_ms']:.2f} ms "
        f"(in-process tokenize {pc['tokenize_inprocess_ms']:.2f} ms; a stats round trip "
        f"{pc['stats_rpc_ms']:.2f} ms)"
    )
    restart_ok: bool | None = None
    if restart_s is not None:
        restart_ok = restart_s <= load_s + RESTART_SLACK_S
        print(
            f"restart after a crash    {restart_s:.3f} s  goal <= load {load_s:.3f} s + "
            f"{RESTART_SLACK_S:.0f} s = {load_s + RESTART_SLACK_S:.3f} s: {_verdict(restart_ok)}"
        )
    else:
        print("restart after a crash    not measured (--restarts 0)")
    print(
        f"load time                in-process Llama(...) {', '.join(f'{t:.3f}' for t in loads)} s "
        f"(median {load_s:.3f}); first worker start {result['worker_start_s']:.3f} s "
        "(self-test included when it ran)"
    )
    print(
        f"same generated tokens    {sum(tokens_ok)}/{len(pairs)} pairs "
        f"({'yes' if all(tokens_ok) else 'NO'}; token by token, see the docstring); "
        f"same text {sum(text_ok)}/{len(pairs)}; prompt tokens identical in both processes: "
        f"{'yes' if result['prompt_tokens_identical'] else 'NO'}"
    )
    print(f"token counts exact       {'yes' if kv_ok else 'NO'} (against each side's KV cache)")
    print(
        f"memory (VmRSS)           benchmark: {result['rss_before_load_mb']:.0f} MiB before "
        f"loading the raw Llama, {result['rss_after_load_mb']:.0f} MiB after, peak "
        f"(ru_maxrss) {peak:.0f} MiB"
    )
    restarted = result.get("restarted_worker_rss_mb")
    print(
        f"{'':25}worker pid {result['worker_pid']}: {result['worker_rss_mb']:.0f} MiB "
        f"after the runs, peak (VmHWM) {result['worker_hwm_mb']:.0f} MiB"
        + (f"; restarted worker {restarted:.0f} MiB" if restarted is not None else "")
    )
    return {
        "raw": raw,
        "tandem": tandem,
        "ratio": ratio,
        "ratio_pass": ratio_ok,
        "paired_ratio_median": paired_ratio,
        "paired_ttft_diff_ms_median": paired_ttft,
        "ttft_overhead_ms": overhead,
        "ttft_pass": ttft_ok,
        "load_s_median": load_s,
        "restart_s_median": restart_s,
        "restart_pass": restart_ok,
        "same_tokens_pairs": sum(tokens_ok),
        "same_text_pairs": sum(text_ok),
        "pairs": len(pairs),
        "token_counts_exact": kv_ok,
        "peak_rss_mb": peak,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
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
        "--raw",
        choices=("completion", "generate"),
        default="completion",
        help="raw side: create_completion (default) or the worker's generate loop in-process",
    )
    p.add_argument(
        "--cache",
        choices=("reset", "reuse"),
        default="reuse",
        help="reuse: both sides reuse the prompt prefix; reset: whole prompt every run",
    )
    p.add_argument("--loads", type=int, default=3, help="timed raw model loads (default 3)")
    p.add_argument("--restarts", type=int, default=3, help="injected crashes (default 3; 0: none)")
    p.add_argument("--json", type=Path, help="also write every measurement here")
    p.add_argument("--quiet", action="store_true", help="do not print each run")
    args = p.parse_args(argv)
    if args.runs < 1 or args.max_tokens < 2 or args.loads < 1 or args.restarts < 0:
        p.error("--runs and --loads must be >= 1, --max-tokens >= 2, --restarts >= 0")
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
        result = asyncio.run(bench(args, model_path, Path(tmp)))
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
