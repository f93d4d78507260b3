"""Debate: independent answers, then rounds of broadcast, critique and revision.

Round 0: every active agent answers alone, all at once. Each later round: every
agent sends its latest answer along its out-edges, then every agent that heard
something revises its answer in the light of what it heard (all at once). The
run ends in consensus (early, once every answer agrees), a majority vote, or a
judge (the coordinator) reading every final answer.
"""

from __future__ import annotations

from router.collab.prompts import answer_key, debate_prompt, judge_prompt, majority
from router.collab.records import AgentAnswer, DebateEnding
from router.collab.team import Call, Team


async def run_debate(
    team: Team, question: str, rounds: int, ending: DebateEnding = "majority"
) -> tuple[str, str, int]:
    """Debate `question` for up to `rounds` rounds; return (answer, how it was reached, rounds)."""
    active = team.active
    team.step(0, "round 0: independent answers")
    first = await team.ask_all([Call(agent=i, step=0, prompt=question) for i in active])
    latest: dict[int, AgentAnswer] = {a.agent: a for a in first}
    done = 0
    for r in range(1, rounds + 1):
        if ending == "consensus" and _agreed(latest):
            break
        team.step(r, f"round {r}: broadcast, critique and revise")
        heard: dict[int, list[str]] = {i: [] for i in active}
        for sender in active:
            said = latest[sender]
            if not said.text:
                continue  # a failed agent has nothing to broadcast
            for receiver in team.topology.receivers_from(sender):
                if receiver in heard:
                    team.send(sender, receiver, said.text, step=r, source=said)
                    heard[receiver].append(said.text)
        calls = [
            Call(
                agent=i, step=r, prompt=debate_prompt(question, latest[i].text, peers, team.marker)
            )
            for i, peers in heard.items()
            if peers  # an agent that heard nothing keeps its answer
        ]
        for answer in await team.ask_all(calls):
            if answer.text:
                latest[answer.agent] = answer
        done = r
    finals = {i: a.text for i, a in latest.items() if a.text}
    if not finals:
        return "", "every agent failed to answer", done
    if ending == "judge":
        return await _judge(team, question, finals, done)
    winner, votes = majority(finals)
    if votes == len(finals) and len(finals) > 1:
        return finals[winner], f"consensus of {votes} agents after {done} round(s)", done
    how = f"majority vote: {votes} of {len(finals)} agents after {done} round(s)"
    if ending == "consensus":
        how = f"no consensus after {done} round(s); {how}"
    return finals[winner], how, done


def _agreed(latest: dict[int, AgentAnswer]) -> bool:
    keys = {answer_key(a.text) for a in latest.values() if a.text}
    return len(keys) == 1 and len(latest) > 1


async def _judge(
    team: Team, question: str, finals: dict[int, str], rounds: int
) -> tuple[str, str, int]:
    judge = team.coordinator
    step = rounds + 1
    team.step(step, "judge: pick the final answer")
    for agent, text in finals.items():
        if agent != judge:
            source = next((a for a in reversed(team.answers) if a.agent == agent), None)
            team.send(agent, judge, text, step=step, source=source)
    verdict = await team.ask(
        Call(
            agent=judge,
            step=step,
            prompt=judge_prompt(question, list(finals.values()), team.marker),
            role="judge",
        )
    )
    if not verdict.text:
        winner, votes = majority(finals)
        return finals[winner], f"the judge failed; majority vote ({votes} of {len(finals)})", rounds
    return verdict.text, f"judged by {team.agents[judge].name} after {rounds} round(s)", rounds
