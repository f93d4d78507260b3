"""Division of labour: a planner splits the task, workers solve subtasks at once, an aggregator
synthesizes.

The coordinator (the first active agent) plans and aggregates; the other active
agents are the workers (the coordinator works alone in a team of one). A
subtask that the privacy rules would keep on the device goes only to device
workers; one they keep on the user's devices, to workers there. Subtasks and
results travel along the topology, hop by hop.
"""

from __future__ import annotations

from router.collab.agents import TeamConfigError
from router.collab.prompts import aggregator_prompt, parse_subtasks, worker_prompt
from router.collab.records import Subtask
from router.collab.team import Call, Team
from router.privacy.zones import ZONE_NAMES, kept_in, may_reach

MAX_SUBTASKS_PER_WORKER = 2


async def run_divide(team: Team, task: str) -> tuple[str, str, int]:
    """Plan, solve in parallel, synthesize; return (answer, how it was reached, steps)."""
    coordinator = team.coordinator
    workers = [i for i in team.active if i != coordinator] or [coordinator]
    team.step(0, "plan: split the task into subtasks")
    plan = await team.ask(Call(agent=coordinator, step=0, prompt=task, role="planner"))
    texts = parse_subtasks(plan.text, MAX_SUBTASKS_PER_WORKER * len(workers)) or [task]
    subtasks = [Subtask(index=k, text=t) for k, t in enumerate(texts)]
    team.records.extend(subtasks)

    team.step(1, f"work: {len(subtasks)} subtask(s) on {len(workers)} worker(s) at once")
    calls: list[Call] = []
    for subtask in subtasks:
        worker = await _worker_for(team, subtask, workers)
        team.send(coordinator, worker, subtask.text, step=1, source=plan, record=subtask)
        calls.append(Call(agent=worker, step=1, prompt=worker_prompt(task, subtask.text)))
    results = await team.ask_all(calls)

    team.step(2, "synthesize: combine the results")
    pairs: list[tuple[str, str]] = []
    for subtask, result in zip(subtasks, results, strict=True):
        text = result.text or f"(no answer: {result.error or 'empty'})"
        if result.text:
            team.send(result.agent, coordinator, result.text, step=2, source=result)
        pairs.append((subtask.text, text))
    final = await team.ask(
        Call(
            agent=coordinator,
            step=2,
            prompt=aggregator_prompt(task, pairs, team.marker),
            role="aggregator",
        )
    )
    solved = sum(1 for r in results if r.text)
    how = f"{solved} of {len(subtasks)} subtask(s) solved by {len(workers)} worker(s), combined"
    if not final.text:
        return "\n".join(r.text for r in results if r.text), f"{how} (aggregator failed)", 3
    return final.text, how, 3


async def _worker_for(team: Team, subtask: Subtask, workers: list[int]) -> int:
    """Round-robin over the workers, restricted to those a kept subtask may reach."""
    pool = workers
    if any(not team.agents[w].on_device for w in workers):
        action = await team.privacy.action_for(subtask.text)
        allowed = [w for w in workers if may_reach(action, team.agents[w].zone)]
        coordinator = team.coordinator
        pool = allowed or (
            [coordinator] if may_reach(action, team.agents[coordinator].zone) else []
        )
        if not pool:
            where = ZONE_NAMES[kept_in(action)]
            raise TeamConfigError(
                f"subtask {subtask.index + 1} must stay on {where}, and no agent there can take it",
                "add a local agent to the team (e.g. --agents local,...)",
            )
    return pool[subtask.index % len(pool)]
