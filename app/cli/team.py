"""`tandem team run`: several agents collaborate on one question, over a topology.

tandem team run "QUESTION" --pattern debate|divide|hierarchical
    --topology mesh|star|ring|tree|custom [--graph "0:1,2;1:2"]
    --agents local,local,edge [--rounds R] [--ending consensus|majority|judge]
    [--max-tokens N] [--max-usd X] [--answer-tokens N] [--json]

Progress (steps, each agent's answer, each message hop with its tokens) goes to
stderr as it happens; the answer (or, with --json, the whole result) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from app.present.team import progress_line, topology_for
from app.progress import terminal_progress
from router import Runtime, TeamPlan, TeamResult, build_runtime, stream_team
from router.collab.events import (
    TeamFinished,
)
from router.collab.setup import (
    PEER_TOKEN_ENV,
    parse_agent_specs,
    prepare_agents,
    team_agents,
    team_privacy,
)
from router.collab.traffic import Budget


def add_team_parser(subparsers: Any) -> None:
    """Add the `team` command (`team run`) to the `tandem` subparsers."""
    team = subparsers.add_parser("team", help="several agents collaborate on one question")
    sub = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="run a team: debate, divide or hierarchical")
    run.add_argument("question", help="what the team works on ('-' reads stdin)")
    run.add_argument("--pattern", choices=("debate", "divide", "hierarchical"), default="debate")
    run.add_argument(
        "--topology", choices=("mesh", "star", "ring", "tree", "custom"), default="mesh"
    )
    run.add_argument(
        "--graph", default=None, help="custom topology: '0:1,2;1:2' (sender:receivers)"
    )
    run.add_argument(
        "--agents",
        default="local,local,local",
        help="comma list: local, an endpoint name or kind (cloud, edge), or peer:URL "
        f"(another Tandem's MCP server; token from {PEER_TOKEN_ENV})",
    )
    run.add_argument("--rounds", type=int, default=1, help="debate rounds / supervisor re-plans")
    run.add_argument(
        "--ending", choices=("consensus", "majority", "judge"), default="majority",
        help="how a debate ends (default majority)",
    )  # fmt: skip
    run.add_argument("--max-tokens", type=int, default=None, help="stop after this many tokens")
    run.add_argument("--max-usd", type=float, default=None, help="stop after spending this much")
    run.add_argument("--answer-tokens", type=int, default=None, help="most tokens per answer")
    run.add_argument("--model", default=None, help="model spec: bundled, a name, or a .gguf")
    run.add_argument("--json", action="store_true", help="print the whole result as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress lines")


def run_team_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `tandem team run ...`; 0 when the team answered, 1 when it stopped short."""
    out = out or sys.stdout
    question = sys.stdin.read() if args.question == "-" else args.question
    runtime = build_runtime(model=args.model, progress=terminal_progress("preparing model"))
    with asyncio.Runner() as runner:
        try:
            result = runner.run(_run(runtime, question, args, None if args.quiet else sys.stderr))
        finally:
            runner.run(runtime.aclose())
    if args.json:
        out.write(result.model_dump_json(indent=2) + "\n")
    else:
        out.write(result.answer + "\n")
    out.flush()
    return 0 if result.status == "complete" else 1


async def _run(
    runtime: Runtime, question: str, args: argparse.Namespace, info: TextIO | None
) -> TeamResult:
    agents = team_agents(runtime.pipeline, parse_agent_specs(args.agents))
    generation = runtime.settings.generation
    if args.answer_tokens:
        generation = generation.model_copy(update={"max_tokens": args.answer_tokens})
    plan = TeamPlan(
        pattern=args.pattern,
        rounds=args.rounds,
        ending=args.ending,
        generation=generation,
        budget=Budget(max_tokens=args.max_tokens, max_usd=args.max_usd),
    )
    topology = topology_for(args.topology, len(agents), args.graph)
    await prepare_agents(agents)
    async for event in stream_team(
        question, agents, topology, plan, team_privacy(runtime.pipeline)
    ):
        if info is not None:
            line = progress_line(event)
            if line:
                info.write(line + "\n")
                info.flush()
        if isinstance(event, TeamFinished):
            return event.result
    raise AssertionError("a team run always ends with its result")
