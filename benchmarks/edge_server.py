"""The edge server's HTTP layer versus calling the endpoint in-process, same requests.

What it compares
    The same N requests (fixed prompts, max_tokens and seed), at concurrency
    1, 4 and 16, made two ways:

    inproc  `LlamaCppEndpoint.stream(...)` called directly in this process by C
            concurrent asyncio workers (the model serialises them itself).
    http    `tandem edge serve` run as a subprocess (the real command, on
            loopback, with its access log on), and C concurrent
            `anthropic.AsyncAnthropic` clients streaming with
            `client.messages.stream(...)` (`text_stream`, `get_final_message`).

    Both sides use the same GGUF, n_ctx, sampling settings (temperature 0.7,
    top_p 0.95, seed 42: the server gets them as its defaults, since the SDK
    sends no sampling settings) and prompts. Each worker takes the next request
    from a shared list until none is left (closed loop). Each level starts with
    a few uncounted warm-up requests per side; the sides alternate per level
    (inproc, then http).

    TTFT: from the call to the first text (`TokenDelta` / first `text_stream`
    piece). Total: from the call to the end of the answer. Throughput: requests
    and output tokens per second of wall time for the whole level.

Reported
    Per level: requests/s of each side and their ratio http/inproc (1.0 means
    the HTTP layer costs nothing), and the HTTP layer's added latency:
    p50(http) - p50(inproc) and p99(http) - p99(inproc), for TTFT and total, in ms.
    The last line is `summary: ...` with the ratios and added p50 TTFT per level.

Reading the numbers
    With the tiny test model (the default) generation takes microseconds per
    token, so nearly all of the difference is the HTTP layer: the server
    encoding one SSE event per token and the SDK parsing it. That is the point:
    it bounds the layer's cost. On a 2-core machine the server process, the
    model's thread and the client compete for CPU; on a real edge box the
    client runs on another device. With a real model (`--model bundled`) the
    ratio approaches 1 because generation dominates.

How to run (from the repository root)
    .venv/bin/python benchmarks/edge_server.py                         # tiny model, ~1 min
    .venv/bin/python benchmarks/edge_server.py --model bundled --requests 16 --max-tokens 32
    .venv/bin/python benchmarks/edge_server.py --model path/to/model.gguf --concurrency 1 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anthropic  # noqa: E402

from router.endpoints.base import StreamEnd, TokenDelta  # noqa: E402
from router.endpoints.llama_cpp import LlamaCppEndpoint  # noqa: E402
from router.types import GenerationOptions, Message  # noqa: E402

TEMPERATURE, TOP_P = 0.7, 0.95


@dataclass
class Sample:
    ttft_s: float
    total_s: float
    output_tokens: int


@dataclass
class Level:
    wall_s: float
    samples: list[Sample]

    @property
    def rps(self) -> float:
        return len(self.samples) / self.wall_s

    @property
    def tok_s(self) -> float:
        return sum(s.output_tokens for s in self.samples) / self.wall_s


Ask = Callable[[str], Awaitable[Sample]]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prompts(n: int) -> list[str]:
    return [f"Question {i}: say something short about the number {i * 7 + 3}." for i in range(n)]


async def run_level(ask: Ask, requests: list[str], concurrency: int) -> Level:
    pending = list(reversed(requests))
    samples: list[Sample] = []

    async def worker() -> None:
        while pending:
            samples.append(await ask(pending.pop()))

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return Level(time.perf_counter() - started, samples)


def inproc_asker(endpoint: LlamaCppEndpoint, options: GenerationOptions) -> Ask:
    async def ask(prompt: str) -> Sample:
        started = time.perf_counter()
        first: float | None = None
        tokens = 0
        async for event in endpoint.stream([Message(role="user", content=prompt)], options):
            if isinstance(event, TokenDelta) and first is None:
                first = time.perf_counter() - started
            elif isinstance(event, StreamEnd):
                tokens = event.usage.output_tokens
        total = time.perf_counter() - started
        return Sample(first if first is not None else total, total, tokens)

    return ask


def http_asker(client: anthropic.AsyncAnthropic, max_tokens: int) -> Ask:
    async def ask(prompt: str) -> Sample:
        started = time.perf_counter()
        first: float | None = None
        async with client.messages.stream(
            model="tandem-edge",
            max_tokens=max_tokens,
            messages=[{"role": "user", "content": prompt}],
        ) as stream:
            async for _ in stream.text_stream:
                if first is None:
                    first = time.perf_counter() - started
            final = await stream.get_final_message()
        total = time.perf_counter() - started
        return Sample(first if first is not None else total, total, final.usage.output_tokens)

    return ask


def start_server(
    model: Path, args: argparse.Namespace, home: str
) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "TANDEM_HOME": home,
        "TANDEM_LOCAL__N_CTX": str(args.n_ctx),
        "TANDEM_LOCAL__N_THREADS": str(args.n_threads),
        "TANDEM_GENERATION__TEMPERATURE": str(TEMPERATURE),
        "TANDEM_GENERATION__TOP_P": str(TOP_P),
        "TANDEM_GENERATION__SEED": str(args.seed),
    }
    command = [sys.executable, "-m", "app.cli", "edge", "serve", "--model", str(model),
               "--port", "0", "--max-queue", "64"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r'base_url = "(http://[^"]+)"', line)
        if match:
            return process, match.group(1)
    raise SystemExit("the edge server did not start")


def resolve_model(spec: str, tmp: str) -> Path:
    if spec == "tiny":
        from tests.support.tiny_gguf import write_tiny_gguf

        return write_tiny_gguf(Path(tmp) / "tiny.gguf")
    from router.models.manager import ModelManager
    from router.paths import resolve_paths

    return ModelManager(resolve_paths().ensure().models_dir).resolve(spec)


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp(prefix="edge-bench-")
    model = resolve_model(args.model, tmp)
    options = GenerationOptions(
        max_tokens=args.max_tokens, temperature=TEMPERATURE, top_p=TOP_P, seed=args.seed
    )
    endpoint = LlamaCppEndpoint(model, n_ctx=args.n_ctx, n_threads=args.n_threads)
    await endpoint.prepare()
    server, url = start_server(model, args, tmp)
    client = anthropic.AsyncAnthropic(base_url=url, api_key="unused", max_retries=0)
    sides = {"inproc": inproc_asker(endpoint, options), "http": http_asker(client, args.max_tokens)}
    print(f"model {model.name}, n_ctx {args.n_ctx}, max_tokens {args.max_tokens}, seed "
          f"{args.seed}, {args.requests} requests per level, server {url}")  # fmt: skip
    rows = []
    try:
        for concurrency in args.concurrency:
            levels: dict[str, Level] = {}
            for side, ask in sides.items():
                await run_level(ask, prompts(args.warmup), concurrency)
                levels[side] = await run_level(ask, prompts(args.requests), concurrency)
            rows.append((concurrency, levels["inproc"], levels["http"]))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
        await client.close()
    header = (f"{'conc':>4} {'inproc req/s':>12} {'http req/s':>10} {'ratio':>6} "
              f"{'inproc tok/s':>12} {'http tok/s':>10} {'+TTFT p50':>10} {'+TTFT p99':>10} "
              f"{'+total p50':>10} {'+total p99':>10}   (added latency in ms)")  # fmt: skip
    print(header)
    summary = []
    for concurrency, inproc, http in rows:

        def added(q: float, attr: str, http: Level = http, inproc: Level = inproc) -> float:
            a = pct([getattr(s, attr) for s in http.samples], q)
            b = pct([getattr(s, attr) for s in inproc.samples], q)
            return (a - b) * 1000

        ratio = http.rps / inproc.rps
        print(f"{concurrency:>4} {inproc.rps:>12.1f} {http.rps:>10.1f} {ratio:>6.2f} "
              f"{inproc.tok_s:>12.0f} {http.tok_s:>10.0f} {added(0.5, 'ttft_s'):>+10.1f} "
              f"{added(0.99, 'ttft_s'):>+10.1f} {added(0.5, 'total_s'):>+10.1f} "
              f"{added(0.99, 'total_s'):>+10.1f}")  # fmt: skip
        same = sum(s.output_tokens for s in inproc.samples) == sum(
            s.output_tokens for s in http.samples
        )
        summary.append(
            f"c{concurrency}: ratio={ratio:.2f} ttft_p50+={added(0.5, 'ttft_s'):.1f}ms"
            + ("" if same else " (output token totals differ)")
        )
    medians = [f"{statistics.median(s.output_tokens for s in r[1].samples):.0f}" for r in rows]
    print(f"(median output tokens per request, per level: {' / '.join(medians)})")
    print("summary: " + "; ".join(summary))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny", help="tiny (default), bundled, or a .gguf")
    parser.add_argument("--requests", type=int, default=192, help="measured requests per level")
    parser.add_argument("--warmup", type=int, default=4, help="uncounted requests per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--n-threads", type=int, default=0)
    asyncio.run(main(parser.parse_args()))
