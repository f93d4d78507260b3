"""MCP tool calls over streamable HTTP versus an in-process `Client`, same calls, same run.

What it compares
    The same tool call (default: `files_stat` of a small file; `--tool` picks
    another argument-free or path tool) made `--calls` times at 1, 8 and 32
    concurrent clients, two ways:

    http    `tandem mcp serve --transport http` run as a subprocess (the real
            command on loopback, bearer token and Host/Origin checks on), and C
            `mcp.Client`s, each with its own session and HTTP connection.
    inproc  the same combined server built in this process (`build_server`)
            and C `mcp.Client(server)` sessions (no transport, no JSON framing).

    Every client connects before the clock starts; workers then take calls from
    a shared counter until none is left (closed loop). A few uncounted warm-up
    calls run first. Any error (exception or `isError` result) is counted, and
    the run fails if there is one.

Reported
    A markdown table per level and side: calls/s over the level's wall time and
    p50/p99 latency of one call. The last line is one JSON object with the same
    numbers and `goal_met` (http >= 300 calls/s at 8 clients, zero errors).

Reading the numbers
    Client and server share this machine's cores: at 32 clients the Python
    clients themselves take much of the CPU, so the http figures bound the
    server's cost from below. The in-process side shows what the SDK's server
    machinery costs without HTTP.

How to run (from the repository root)
    .venv/bin/python benchmarks/mcp_http.py                  # 2000 calls per level
    .venv/bin/python benchmarks/mcp_http.py --calls 500 --clients 1 8
    .venv/bin/python benchmarks/mcp_http.py --tool sensors_uptime
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp_servers.http_serve import load_or_create_token  # noqa: E402
from mcp_servers.serve import ServeOptions, build_server  # noqa: E402
from router.paths import resolve_paths  # noqa: E402

GOAL_CALLS_PER_S = 300.0


@dataclass
class Level:
    side: str
    clients: int
    calls: int
    wall_s: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.calls / self.wall_s

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "calls_per_s": round(self.rate, 1),
            "p50_ms": round(self.pct(0.50), 2),
            "p99_ms": round(self.pct(0.99), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2),
            "errors": self.errors,
        }


async def run_level(
    side: str, clients: list[Client], calls: int, tool: str, args: dict[str, Any]
) -> Level:
    latencies: list[float] = []
    errors = 0
    remaining = calls

    async def worker(client: Client) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            try:
                result = await client.call_tool(tool, args)
                failed = result.is_error
            except Exception:
                failed = True
            latencies.append((time.perf_counter() - start) * 1000)
            errors += int(bool(failed))

    for client in clients:  # warm-up, uncounted
        await client.call_tool(tool, args)
    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    wall = time.perf_counter() - start
    return Level(side, len(clients), len(latencies), wall, latencies, errors)


async def with_clients(
    count: int, make: Callable[[], Client], work: Callable[[list[Client]], Any]
) -> Level:
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(make()) for _ in range(count)]
        level: Level = await work(clients)
        return level


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], root: Path, port: int) -> subprocess.Popen[bytes]:
    args = ["mcp", "serve", "--transport", "http", "--servers", "files,sensors"]
    args += ["--port", str(port), "--root", str(root)]
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit("tandem mcp serve exited before listening")
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("tandem mcp serve did not start listening in 60 s")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per level and side")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--tool", default="files_stat", help="tool to call")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home, root = Path(tmp) / "home", Path(tmp) / "shared"
        root.mkdir()
        (root / "note.txt").write_text("benchmark file\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
        env["TANDEM_HOME"] = str(home)
        token = load_or_create_token(resolve_paths(home).ensure())
        args = {"path": "shared/note.txt"} if opts.tool.startswith("files_") else {}
        port = free_port()
        url = f"http://127.0.0.1:{port}/mcp"
        options = ServeOptions(servers=("files", "sensors"), roots=(str(root),))
        server, _tools = build_server(options)
        proc = start_server(env, root, port)
        levels: list[Level] = []
        try:
            for count in opts.clients:

                def http_client() -> Client:
                    hc = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
                    return Client(streamable_http_client(url, http_client=hc))

                def inproc_client() -> Client:
                    return Client(server)

                for side, make in (("http", http_client), ("inproc", inproc_client)):
                    work = partial(run_level, side, calls=opts.calls, tool=opts.tool, args=args)
                    levels.append(await with_clients(count, make, work))
        finally:
            proc.terminate()
            proc.wait(timeout=20)

    print(f"\n`{opts.tool}` x {opts.calls} per level, {os.cpu_count()} CPUs\n")
    print("| clients | side | calls/s | p50 ms | p99 ms | errors |")
    print("|---:|---|---:|---:|---:|---:|")
    summary: dict[str, Any] = {"tool": opts.tool, "calls": opts.calls, "http": {}, "inproc": {}}
    for level in levels:
        row = level.row()
        summary[level.side][str(level.clients)] = row
        print(
            f"| {level.clients} | {level.side} | {row['calls_per_s']} | {row['p50_ms']} "
            f"| {row['p99_ms']} | {row['errors']} |"
        )
    errors = sum(level.errors for level in levels)
    at8 = summary["http"].get("8", {}).get("calls_per_s", 0.0)
    summary["errors"] = errors
    summary["goal_met"] = errors == 0 and at8 >= GOAL_CALLS_PER_S
    print()
    print(json.dumps(summary, separators=(",", ":")))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
