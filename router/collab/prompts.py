"""The prompts each pattern sends, and how answers are read back (votes, plans, actions).

Other agents' answers are untrusted (an off-device agent or a peer device may
relay injected instructions), so a prompt carries each inside a data block with
the run's marker (`router.turn.spotlight`). A coordinator's assignments to a
worker are not marked: following them is the worker's job.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from router.collab.records import Assignment, Observation, SupervisorAction
from router.turn.spotlight import spotlight

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.):]|[-*•])\s+(.+?)\s*$")


def debate_prompt(question: str, own: str, peers: Sequence[str], marker: str) -> str:
    """A revision request: the question, this agent's last answer, and what it heard."""
    heard = _answers(peers, "another agent", marker)
    return (
        f"Question: {question}\n\nYour previous answer:\n{own}\n\n"
        f"Other agents answered:\n{heard}\n\n"
        "Critique these answers and your own, then give your revised answer. "
        "Put the final answer on the last line."
    )


def judge_prompt(question: str, answers: Sequence[str], marker: str) -> str:
    """The judge's request: every final answer of the debate."""
    listed = _answers(answers, "an agent", marker)
    return (
        f"Question: {question}\n\n{listed}\n\n"
        "Which answer is right? Explain briefly and give the final answer on the last line."
    )


def worker_prompt(task: str, subtask: str) -> str:
    """One subtask, with the whole task for context."""
    return f"Overall task: {task}\n\nYour subtask: {subtask}\n\nSolve your subtask."


def aggregator_prompt(task: str, results: Sequence[tuple[str, str]], marker: str) -> str:
    """The synthesis request: each subtask with its worker's answer."""
    parts = "\n\n".join(
        f"Subtask: {s}\nAnswer:\n{spotlight(a, 'a worker', marker)}" for s, a in results
    )
    return (
        f"Task: {task}\n\nResults of the subtasks:\n{parts}\n\n"
        "Combine them into the answer to the task. Put the final answer on the last line."
    )


def supervisor_prompt(
    task: str, workers: Mapping[int, str], observations: Sequence[Observation], marker: str
) -> str:
    """The supervisor's request: the task, the workers, and what came back so far."""
    team = ", ".join(f"{i}: {label}" for i, label in workers.items())
    seen = (
        "\n".join(
            f"- step {o.step}, worker {o.worker}, {o.status}: {o.instruction} -> "
            f"{o.result or o.error}"
            for o in observations
        )
        or "(nothing yet)"
    )
    if observations:  # the workers' results are theirs: data, not instructions
        seen = spotlight(seen, "the workers", marker)
    return (
        f"Task: {task}\nWorkers: {team}\nObservations:\n{seen}\n\n"
        'Reply with JSON only: {"kind": "assign", "assignments": [{"worker": N, '
        '"instruction": "..."}]} to give work (reassign failed or empty results), or '
        '{"kind": "finish", "answer": "..."} when the observations answer the task.'
    )


def _answers(texts: Sequence[str], source: str, marker: str) -> str:
    """Numbered answers, each inside a data block naming who wrote it."""
    return "\n\n".join(
        f"Answer {i + 1}:\n{spotlight(text, source, marker)}" for i, text in enumerate(texts)
    )


def answer_key(text: str) -> str:
    """What a vote compares: the last number in the answer, else its last line, normalized."""
    numbers = _NUMBER.findall(text)
    if numbers:
        value = str(numbers[-1]).replace(",", "")
        return value[:-2] if value.endswith(".0") else value.rstrip(".")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return re.sub(r"[^a-z0-9 ]+", "", last.lower()).strip()[:80]


def majority(answers: Mapping[int, str]) -> tuple[int, int]:
    """The agent whose answer has the most common key (lowest index on ties), and that count."""
    if not answers:
        raise ValueError("no answers to vote on")
    keys = {agent: answer_key(text) for agent, text in answers.items()}
    counts = Counter(keys.values())
    best = max(counts.values())
    winner = min(a for a, k in keys.items() if counts[k] == best)
    return winner, best


def parse_subtasks(text: str, limit: int) -> list[str]:
    """The planner's numbered or bulleted lines (a JSON list works too), at most `limit`."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
            if isinstance(items, list):
                return [str(i).strip() for i in items if str(i).strip()][:limit]
        except json.JSONDecodeError:
            pass
    found = [m[1] for line in text.splitlines() if (m := _LIST_ITEM.match(line))]
    return found[:limit]


def parse_action(text: str, step: int, workers: Sequence[int]) -> SupervisorAction | None:
    """The supervisor's JSON action (unknown workers dropped), or None if unreadable."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        raw = json.loads(text[start : end + 1])
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind == "finish" and str(raw.get("answer", "")).strip():
            return SupervisorAction(kind="finish", answer=str(raw["answer"]).strip())
        if kind != "assign":
            return None
        assignments = tuple(
            Assignment(step=step, worker=int(a["worker"]), instruction=str(a["instruction"]))
            for a in raw.get("assignments", [])
            if int(a["worker"]) in workers and str(a.get("instruction", "")).strip()
        )
    except (json.JSONDecodeError, ValidationError, KeyError, TypeError, ValueError):
        return None
    return SupervisorAction(kind="assign", assignments=assignments) if assignments else None
