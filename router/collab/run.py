"""Running a team: assemble it, gate it for privacy, run a pattern, report the result.

`stream_team` yields progress events as they happen and ends with
`TeamFinished`; `run_team` returns just the result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from router.collab.agents import Agent, TeamConfigError
from router.collab.debate import run_debate
from router.collab.divide import run_divide
from router.collab.events import TeamEvent, TeamFinished, TeamStarted
from router.collab.hierarchical import run_hierarchical
from router.collab.privacy import TeamPrivacy
from router.collab.records import DebateEnding, PatternName, TeamResult, TeamStatus
from router.collab.team import BudgetSpent, Emit, Team
from router.collab.topology import Topology
from router.collab.traffic import Budget
from router.privacy.scan import Scanner
from router.privacy.zones import may_reach
from router.types import GenerationOptions


@dataclass(frozen=True)
class TeamPlan:
    """How a team works: pattern, rounds, ending, generation settings and budget."""

    pattern: PatternName = "debate"
    rounds: int = 1
    """Debate rounds after the independent answers; supervisor steps are rounds + 1."""
    ending: DebateEnding = "majority"
    generation: GenerationOptions = field(default_factory=GenerationOptions)
    budget: Budget = field(default_factory=Budget)


async def stream_team(
    question: str,
    agents: Sequence[Agent],
    topology: Topology,
    plan: TeamPlan,
    privacy: TeamPrivacy | None = None,
) -> AsyncIterator[TeamEvent]:
    """Run the team on `question`, yielding events; the last is always `TeamFinished`."""
    queue: asyncio.Queue[TeamEvent | None] = asyncio.Queue()
    task = asyncio.create_task(_run(question, agents, topology, plan, privacy, queue.put_nowait))
    task.add_done_callback(lambda _t: queue.put_nowait(None))
    try:
        while (event := await queue.get()) is not None:
            yield event
        await task  # re-raise a configuration error
    finally:
        if not task.done():
            task.cancel()


async def run_team(
    question: str,
    agents: Sequence[Agent],
    topology: Topology,
    plan: TeamPlan,
    privacy: TeamPrivacy | None = None,
) -> TeamResult:
    """Run the team on `question` and return its result."""
    async for event in stream_team(question, agents, topology, plan, privacy):
        if isinstance(event, TeamFinished):
            return event.result
    raise AssertionError("stream_team always ends with TeamFinished")


async def _run(
    question: str,
    agents: Sequence[Agent],
    topology: Topology,
    plan: TeamPlan,
    privacy: TeamPrivacy | None,
    emit: Emit,
) -> None:
    _check_team(question, agents, topology)
    started = time.perf_counter()
    # Without a gate from the caller, off-device agents still get the default scan.
    off_device = any(not a.on_device for a in agents)
    gate = privacy or TeamPrivacy(scanner=Scanner() if off_device else None)
    try:
        await gate.assess(question)
        action = gate.report.action
        active = [i for i, a in enumerate(agents) if may_reach(action, a.zone)]
        if not active:
            raise _nowhere_to_run(gate)
        team = Team(
            agents=agents,
            topology=topology,
            active=active,
            generation=plan.generation,
            budget=plan.budget,
            privacy=gate,
            emit=emit,
        )
        labels = tuple(a.label for a in agents)
        emit(TeamStarted(agents=labels, active=tuple(active), privacy=gate.summary()))
        status, answer, how, rounds = await _outcome(team, question, plan)
        result = TeamResult(
            pattern=plan.pattern,
            topology=topology.name,
            agents=labels,
            status=status,
            answer=answer,
            reason=how,
            rounds=rounds,
            answers=tuple(team.answers),
            messages=tuple(team.messages),
            records=tuple(team.records),
            traffic=team.meter.report(),
            privacy=gate.summary(),
            excluded_agents=tuple(i for i in range(len(agents)) if i not in active),
            privacy_action=action,
            wall_s=time.perf_counter() - started,
        )
        emit(TeamFinished(result=result))
    finally:
        gate.close()


def _nowhere_to_run(gate: TeamPrivacy) -> TeamConfigError:
    """The error for a task no agent of the team may be given."""
    if gate.report.action == "keep_mine":
        return TeamConfigError(
            f"this task stays on your devices ({gate.report.reason}) and no agent runs there",
            "add a local agent, or an edge of yours (an endpoint marked mine), to the team",
        )
    return TeamConfigError(
        f"this task stays on the device ({gate.report.reason}) and no agent runs here",
        "add a local agent to the team (e.g. --agents local,...)",
    )


def _check_team(question: str, agents: Sequence[Agent], topology: Topology) -> None:
    """Refuse an empty question, or a topology for another number of agents."""
    if not question.strip():
        raise TeamConfigError("the question is empty", "ask the team something")
    if len(agents) != topology.size:
        raise TeamConfigError(
            f"the topology joins {topology.size} agents but the team has {len(agents)}",
            "build the topology for as many agents as the team has",
        )


async def _outcome(team: Team, question: str, plan: TeamPlan) -> tuple[TeamStatus, str, str, int]:
    """Run the plan's pattern: (status, answer, how it ended, rounds)."""
    status: TeamStatus = "complete"
    try:
        answer, how, rounds = await _pattern(team, question, plan)
    except BudgetSpent as exc:
        status, answer, how = "budget_exhausted", team.fallback_answer(), exc.message
        rounds = max((a.step for a in team.answers), default=0)
    if status == "complete" and team.stopped:  # the pattern ended with calls left out
        status, how = "budget_exhausted", f"the team stopped: {team.stopped}; {how}"
    if status == "complete" and not answer:
        status = "failed"
    return status, answer, how, rounds


async def _pattern(team: Team, question: str, plan: TeamPlan) -> tuple[str, str, int]:
    if plan.pattern == "debate":
        return await run_debate(team, question, plan.rounds, plan.ending)
    if plan.pattern == "divide":
        return await run_divide(team, question)
    return await run_hierarchical(team, question, max_steps=plan.rounds + 1)
