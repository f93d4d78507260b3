"""Baseline policies for the M4A1 simulator, next to the learned budget-aware one.

- `local`: always on the device.
- `cloud`: always the cloud with all three views (send everything).
- `cloud_text`: always the cloud, no view.
- `random`: a uniformly random action each turn.
- `greedy`: myopic; the best predicted score among actions whose predicted
  cost and latency fit what is left now (nothing kept for later turns).
- `prompt`: the local model is asked whether the question needs the cloud;
  "yes" goes to the cloud with the most relevant view if the money left
  covers it (else text only), "no" stays local. Decisions come from a cache
  filled by `prompt_decisions`, since asking the real model is slow.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from router.endpoints.base import Endpoint, StreamEnd, TokenDelta
from router.learn.budget_env import Observation, Policy, Predictor
from router.learn.m4a1 import ACTIONS, VIEW_SETS
from router.types import GenerationOptions, Message

ALL_VIEWS = len(ACTIONS) - 1
PROMPT_TEMPLATE = (
    "You route questions for a smart-home assistant. A small on-device model answers "
    "easy requests; a large cloud model with camera images answers hard ones.\n"
    "Question: {question}\n"
    "Does this question need the cloud model? Answer yes or no.\nAnswer:"
)


def constant(action: int) -> Policy:
    """A policy that always takes `action`."""

    def act(obs: Observation, rng: np.random.Generator) -> int:
        return action

    return act


def random_policy(obs: Observation, rng: np.random.Generator) -> int:
    """A uniformly random action."""
    return int(rng.integers(len(ACTIONS)))


def greedy(predictor: Predictor) -> Policy:
    """Myopic: best predicted score among actions that fit the budget left (see module doc)."""

    def act(obs: Observation, rng: np.random.Generator) -> int:
        pred = predictor.predict(obs.embedding)
        fits = (pred[:, 1] <= obs.latency_left_s) & (pred[:, 2] <= obs.cost_left_usd)
        if not fits.any():
            return int(np.argmin(pred[:, 1]))
        return int(np.argmax(np.where(fits, pred[:, 0], -np.inf)))

    return act


def question_key(question: str) -> str:
    """Cache key of one question."""
    return hashlib.sha1(question.encode("utf-8")).hexdigest()[:16]


def prompt_policy(decisions: Mapping[str, bool], action_cost: Sequence[float]) -> Policy:
    """The prompt-based router over cached yes/no decisions (missing: local)."""
    best_single = {v[0]: 2 + VIEW_SETS.index(v) for v in VIEW_SETS if len(v) == 1}

    def act(obs: Observation, rng: np.random.Generator) -> int:
        if not decisions.get(question_key(obs.question), False):
            return 0
        view = best_single[int(np.argmax(obs.association))]
        if action_cost[view] <= obs.cost_left_usd:
            return view
        return 1 if action_cost[1] <= obs.cost_left_usd else 0

    return act


def parse_yes(answer: str) -> bool:
    """True when the model's answer starts with yes."""
    return answer.strip().lower().lstrip("\"'*").startswith("yes")


async def ask_endpoint(endpoint: Endpoint, question: str, max_tokens: int = 3) -> str:
    """Ask one endpoint the routing question; greedy decoding, a few tokens."""
    text = ""
    messages = [Message(role="user", content=PROMPT_TEMPLATE.format(question=question))]
    options = GenerationOptions(max_tokens=max_tokens, temperature=0.0, seed=0)
    async for event in endpoint.stream(messages, options):
        if isinstance(event, TokenDelta):
            text += event.text
        elif isinstance(event, StreamEnd):
            break
    return text


def prompt_decisions(
    questions: Sequence[str], endpoint: Endpoint, cache: Path, limit: int | None = None
) -> dict[str, bool]:
    """Yes/no decisions of `endpoint` for `questions`, cached in the JSON file `cache`.

    Only questions missing from the cache are asked, at most `limit` of them.
    """
    stored: dict[str, bool] = {}
    if cache.exists():
        stored = {str(k): bool(v) for k, v in json.loads(cache.read_text("utf-8")).items()}
    todo = [q for q in dict.fromkeys(questions) if question_key(q) not in stored]
    if limit is not None:
        todo = todo[:limit]

    async def run() -> None:
        for question in todo:
            stored[question_key(question)] = parse_yes(await ask_endpoint(endpoint, question))

    if todo:
        asyncio.run(run())
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(stored, indent=0, sort_keys=True), "utf-8")
    return stored
