"""Hierarchical: a supervisor decomposes, assigns, monitors observations and re-plans.

Each step the supervisor (the coordinator) reads the task and every
`Observation` so far and replies with a JSON `SupervisorAction`: assign work
(the assignments run at once) or finish. The loop is monitored on the device:
an unreadable first plan gives every worker the whole task; an unreadable later
reply re-assigns failed or empty work to another worker, or, when nothing
failed, is taken as the answer. After `max_steps` the supervisor writes the
final answer from the observations.
"""

from __future__ import annotations

from router.collab.prompts import aggregator_prompt, parse_action, supervisor_prompt
from router.collab.records import Assignment, Observation, SupervisorAction
from router.collab.team import Call, Team


async def run_hierarchical(team: Team, task: str, max_steps: int) -> tuple[str, str, int]:
    """Supervise workers for up to `max_steps` steps; return (answer, how, steps run)."""
    supervisor = team.coordinator
    workers = [i for i in team.active if i != supervisor] or [supervisor]
    labels = {w: team.agents[w].label for w in workers}
    observations: list[Observation] = []
    for step in range(max_steps):
        team.step(step, f"step {step}: supervisor plans")
        prompt = supervisor_prompt(task, labels, observations, team.marker)
        reply = await team.ask(Call(agent=supervisor, step=step, prompt=prompt, role="supervisor"))
        action = parse_action(reply.text, step, workers) or _monitor(
            reply.text, task, step, workers, observations
        )
        team.records.append(action)
        if action.kind == "finish":
            return action.answer, f"supervisor finished after {step + 1} step(s)", step + 1
        observations += await _work(team, supervisor, step, action.assignments)
    team.step(max_steps, "final: supervisor writes the answer")
    pairs = [(o.instruction, o.result) for o in observations if o.status == "ok"]
    final = await team.ask(
        Call(
            agent=supervisor,
            step=max_steps,
            prompt=aggregator_prompt(task, pairs, team.marker),
            role="aggregator",
        )
    )
    how = f"supervisor answered from {len(pairs)} result(s) after {max_steps} step(s)"
    return final.text or team.fallback_answer(), how, max_steps


def _monitor(
    reply: str, task: str, step: int, workers: list[int], observations: list[Observation]
) -> SupervisorAction:
    """The device's re-plan when the supervisor's reply is not a readable action."""
    if step == 0 or not observations:
        work = tuple(Assignment(step=step, worker=w, instruction=task) for w in workers)
        return SupervisorAction(kind="assign", assignments=work)
    last = max(o.step for o in observations)
    failed = [o for o in observations if o.step == last and o.status != "ok"]
    if failed:
        redo = tuple(
            Assignment(step=step, worker=_another(o.worker, workers, k), instruction=o.instruction)
            for k, o in enumerate(failed)
        )
        return SupervisorAction(kind="assign", assignments=redo)
    return SupervisorAction(kind="finish", answer=reply.strip() or observations[-1].result)


def _another(worker: int, workers: list[int], offset: int) -> int:
    """A different worker than the one that failed, when there is one."""
    others = [w for w in workers if w != worker] or workers
    return others[offset % len(others)]


async def _work(
    team: Team, supervisor: int, step: int, assignments: tuple[Assignment, ...]
) -> list[Observation]:
    """Send the assignments, run them at once, and send back one observation each."""
    team.step(step, f"step {step}: {len(assignments)} assignment(s) at once")
    for a in assignments:
        team.send(supervisor, a.worker, a.instruction, step=step, record=a)
    results = await team.ask_all(
        [
            Call(agent=a.worker, step=step, prompt=f"Task: {a.instruction}", role="worker")
            for a in assignments
        ]
    )
    observations: list[Observation] = []
    for a, r in zip(assignments, results, strict=True):
        status = "failed" if r.error else ("ok" if r.text else "empty")
        obs = Observation(
            step=step,
            worker=a.worker,
            instruction=a.instruction,
            status=status,
            result=r.text,
            error=r.error,
        )
        observations.append(obs)
        team.records.append(obs)
        team.send(
            a.worker, supervisor, r.text or r.error or "(empty)", step=step, source=r, record=obs
        )
    return observations
