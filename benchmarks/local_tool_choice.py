"""How often does the on-device model choose the right tool? A rate, not a test.

    .venv/bin/python benchmarks/local_tool_choice.py [--model bundled] [--repeats 2]
        [--temperature 0.7] [--extra-buffers auto|on|off]

Asks the bundled model (or `--model x.gguf`) battery questions, worded several
ways, through Tandem's turn pipeline with the real sensors MCP server offered
(its battery reads a fixed 64 % so the answer can be checked), and a few
questions that need no tool. Each question runs `--repeats` times with seeds
1..R at the app's default temperature (0.7; at 0 every repeat is the same).

Whether a 0.5B model picks the tool depends on the exact arithmetic of the
llama.cpp build and CPU (with extra buffers off it picks it less often), so the
test suite drives the tool path with a scripted model
(tests/router/mcp/test_bundled_tools.py) and the model's choice is measured
here. It prints, per question, how many runs called `sensors__battery` and
how many then answered with the level; then the rates:

* tool_rate: battery questions answered through the battery tool;
* level_rate: those of them whose answer contains "64";
* false_tool_rate: questions needing no tool that called one anyway.

The last line is `n=<battery runs> tool_rate=<x> level_rate=<y> false_tool_rate=<z>`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp_servers.sensors import HostSensors, build_sensors_server  # noqa: E402
from mcp_servers.sensors_models import Battery  # noqa: E402
from router.endpoints.llama_checks import ExtraBuffers  # noqa: E402
from router.endpoints.llama_cpp import LlamaCppEndpoint  # noqa: E402
from router.ledger.store import Ledger  # noqa: E402
from router.mcp.host import ToolHost  # noqa: E402
from router.models.bundled import assemble_bundled  # noqa: E402
from router.policy.decide import LocalOnlyPolicy  # noqa: E402
from router.privacy.detectors.registry import default_detectors  # noqa: E402
from router.privacy.scan import Scanner  # noqa: E402
from router.turn.events import ToolCalled, TurnFinished  # noqa: E402
from router.turn.pipeline import TurnPipeline  # noqa: E402
from router.types import GenerationOptions, TurnRequest  # noqa: E402

SYSTEM = "You are Tandem, a helpful, concise assistant."  # the shipped default
BATTERY_QUESTIONS = (
    "what is my battery level?",
    "How much battery do I have left?",
    "Is my battery low?",
    "battery %?",
    "Check my phone's charge, please.",
    "What percentage is my battery at right now?",
    "Do I need to charge my device soon?",
    "Tell me the current battery status.",
)
NO_TOOL_QUESTIONS = (
    "What is the capital of France? Answer with one word.",
    "Write a haiku about autumn.",
    "What is 17 times 3?",
)
TOOL = "sensors__battery"


class FixedBattery(HostSensors):
    """The host's sensors, with a battery at 64 %."""

    async def battery(self) -> Battery:
        return Battery(available=True, percent=64.0, plugged_in=False, state="discharging")


async def ask(
    endpoint: LlamaCppEndpoint, ledger: Ledger, question: str, seed: int, temperature: float
) -> tuple[list[str], str]:
    """One turn; the names of the tools it called and its answer."""
    host = ToolHost()
    host.add_server("sensors", build_sensors_server(backend=FixedBattery()))
    pipeline = TurnPipeline(
        endpoints={"local": endpoint},
        policy=LocalOnlyPolicy(),
        ledger=ledger,
        generation=GenerationOptions(max_tokens=96, temperature=temperature, seed=seed),
        system_prompt=SYSTEM,
        scanner=Scanner(detectors=default_detectors(ner=False)),
        tools=host,
    )
    session = ledger.create_session()
    async with host:
        events = [
            e async for e in pipeline.run_turn(TurnRequest(text=question, session_id=session))
        ]
    finished = events[-1]
    answer = finished.turn.answer if isinstance(finished, TurnFinished) else ""
    return [e.call.name for e in events if isinstance(e, ToolCalled)], answer


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model = assemble_bundled(folder) if args.model == "bundled" else Path(args.model)
        extra: ExtraBuffers = args.extra_buffers
        endpoint = LlamaCppEndpoint(model, n_ctx=4096, extra_buffers=extra)
        ledger = Ledger(folder / "ledger.db")
        seeds = range(1, args.repeats + 1)
        print(f"model: {model.name}; temperature {args.temperature}; seeds 1..{args.repeats}")
        print(f"{'question':48} {'tool':>6} {'level':>6}")
        tool_runs = level_runs = battery_runs = false_runs = control_runs = 0
        started = time.perf_counter()
        for question in BATTERY_QUESTIONS + NO_TOOL_QUESTIONS:
            battery = question in BATTERY_QUESTIONS
            called = level = 0
            for seed in seeds:
                tools, answer = await ask(endpoint, ledger, question, seed, args.temperature)
                if battery:
                    called += TOOL in tools
                    level += TOOL in tools and "64" in answer
                else:
                    called += bool(tools)
            n = len(seeds)
            shown = f"{level}/{n}" if battery else "-"
            print(f"{question[:48]:48} {f'{called}/{n}':>6} {shown:>6}")
            if battery:
                battery_runs += n
                tool_runs += called
                level_runs += level
            else:
                control_runs += n
                false_runs += called
        await endpoint.aclose()
        ledger.close()
    tool_rate = tool_runs / battery_runs
    level_rate = level_runs / tool_runs if tool_runs else 0.0
    false_rate = false_runs / control_runs
    print(f"{time.perf_counter() - started:.0f} s for {battery_runs + control_runs} turns")
    print(
        f"n={battery_runs} tool_rate={tool_rate:.2f} level_rate={level_rate:.2f} "
        f"false_tool_rate={false_rate:.2f}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="bundled", help="'bundled' or a .gguf path")
    parser.add_argument("--repeats", type=int, default=2, help="seeds per question")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--extra-buffers", choices=("auto", "on", "off"), default="auto")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
