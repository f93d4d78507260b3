"""M4A1 (TMO) conversations and a simulator of every route for every turn.

Each M4A1 turn logs one action only: answered locally, or in the cloud with
some of the 3 camera views uploaded. The simulator fills the other actions'
outcomes (score, latency, cost) from nearest neighbours, as TMO does: for a
turn and an action it did not take, the mean outcome of the `k` turns most
similar in question embedding (same task category preferred) that did take
that action. View sets with fewer than `min_pool` logged turns borrow from
turns that uploaded the same number of views (then any views, then any cloud
turn) for score and latency. Cost is a property of the upload, not of the
question (the logged cost of each view set varies by under 5%), so it comes
from turns that uploaded exactly that view set whenever any did: borrowing it
from other view sets made uploading view 0 cost ~13 times its logged price,
and made the cost depend on how many conversations the simulator holds. The
logged action keeps its logged outcome.

Actions (`ACTIONS`): 0 local; 1 cloud, no view; 2-8 cloud with the view sets
{0} {1} {2} {0,1} {0,2} {1,2} {0,1,2}.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from router.learn.profile import Outcome, ProfileRecord
from router.policy.budget_planner import M4A1_MAX_SCORE

Array = npt.NDArray[np.float64]
VIEW_SETS: tuple[tuple[int, ...], ...] = ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2))
ACTIONS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("local", ()),
    ("cloud", ()),
    *(("cloud", v) for v in VIEW_SETS),
)
TASKS = ("Assistive System", "Recommendation", "Message Editing", "Query")
MAX_SCORE = M4A1_MAX_SCORE
"""The largest score in M4A1.json; profiles divide by it to get a quality in [0, 1]."""


def action_name(index: int) -> str:
    """`local`, `cloud`, or `cloud+v0v2` style names."""
    route, views = ACTIONS[index]
    return route if not views else route + "+" + "".join(f"v{v}" for v in views)


@dataclass(frozen=True)
class Turn:
    """One logged M4A1 turn."""

    question: str
    task: str
    action: int
    score: float
    latency_s: float
    cost_usd: float
    association: tuple[float, float, float]


@dataclass(frozen=True)
class Conversation:
    """One M4A1 conversation: 2-5 turns over the same three camera views."""

    id: str
    turns: tuple[Turn, ...]


def _action_index(action: int, views: object) -> int:
    if int(action) == 0:
        return 0
    if not views:
        return 1
    if not isinstance(views, list):
        raise ValueError(f"image_index must be a list or null, got {views!r}")
    return 2 + VIEW_SETS.index(tuple(sorted({int(v) for v in views})))


def load_m4a1(path: str | Path) -> list[Conversation]:
    """Read M4A1.json; `ValueError` names the conversation of a malformed entry."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    conversations = []
    for c in data:
        try:
            assoc = c["association_score"]
            turns = tuple(
                Turn(
                    question=str(t["question"]),
                    task=str(t["task_cat"]),
                    action=_action_index(t["action"], t.get("image_index")),
                    score=float(t["score"]),
                    latency_s=float(t["interaction_time"]),
                    cost_usd=float(t["usage_cost"]),
                    association=(float(assoc[i][0]), float(assoc[i][1]), float(assoc[i][2])),
                )
                for i, t in enumerate(c["interactions"])
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"M4A1 conversation {c.get('id')!r} is malformed: {exc}") from exc
        conversations.append(Conversation(id=str(c["id"]), turns=turns))
    return conversations


def to_profile(conversations: Sequence[Conversation]) -> list[ProfileRecord]:
    """Logged turns as profile records; the endpoint is the action's name (`cloud+v0v1`)."""
    return [
        ProfileRecord(
            id=f"m4a1-{c.id}-{i}",
            prompt=t.question,
            conversation=f"m4a1-{c.id}",
            turn=i,
            endpoints={
                action_name(t.action): Outcome(
                    quality=min(t.score / MAX_SCORE, 1.0),
                    latency_s=t.latency_s,
                    cost_usd=t.cost_usd,
                )
            },
            meta={"task": t.task, "association": list(t.association), "score": t.score},
        )
        for c in conversations
        for i, t in enumerate(c.turns)
    ]


class Simulator:
    """Outcomes of all 9 actions for every turn: `table[turn, action] = (score, latency, cost)`."""

    def __init__(
        self,
        conversations: Sequence[Conversation],
        embeddings: npt.ArrayLike,
        k: int = 3,
        min_pool: int = 5,
    ) -> None:
        """`embeddings`: one unit row per turn, conversations in order, turns in order."""
        self.conversations = list(conversations)
        self.turns = [t for c in self.conversations for t in c.turns]
        self.embeddings = np.asarray(embeddings, dtype=np.float64)
        if len(self.embeddings) != len(self.turns):
            raise ValueError("need one embedding per turn")
        starts = np.cumsum([0] + [len(c.turns) for c in self.conversations])
        self.offsets = [int(s) for s in starts[:-1]]
        self.k, self.min_pool = k, min_pool
        self.table = self._fill(k, min_pool)

    def _fill(self, k: int, min_pool: int) -> Array:
        n = len(self.turns)
        logged = np.array([t.action for t in self.turns])
        outcome = np.array([[t.score, t.latency_s, t.cost_usd] for t in self.turns])
        tasks = np.array([TASKS.index(t.task) if t.task in TASKS else -1 for t in self.turns])
        sims = self.embeddings @ self.embeddings.T + 0.1 * (tasks[:, None] == tasks[None, :])
        np.fill_diagonal(sims, -np.inf)  # a turn never imputes from itself
        table = np.zeros((n, len(ACTIONS), 3))
        n_views = np.array([len(ACTIONS[a][1]) for a in logged])
        for a, (route, views) in enumerate(ACTIONS):
            pool = np.nonzero(logged == a)[0]
            if len(pool) < min_pool:
                # Too few turns took this exact view set: borrow from wider pools in turn.
                for wider in (
                    (logged >= 2) & (n_views == len(views)),
                    logged >= 2 if views else logged == 1,
                    logged >= 1,
                ):
                    if len(pool) >= min_pool or route == "local":
                        break
                    pool = np.union1d(pool, np.nonzero(wider)[0])
            if len(pool) == 0:
                raise ValueError(f"no logged turn for action {action_name(a)} ({route})")
            kk = min(k, len(pool))
            near = np.argsort(-sims[:, pool], axis=1)[:, :kk]
            table[:, a] = outcome[pool[near]].mean(axis=1)
            exact = np.nonzero(logged == a)[0]
            if 0 < len(exact) < len(pool):
                kk = min(k, len(exact))
                near = np.argsort(-sims[:, exact], axis=1)[:, :kk]
                table[:, a, 2] = outcome[exact[near], 2].mean(axis=1)
        table[np.arange(n), logged] = outcome
        return table

    def outcomes(self, conversation: int) -> Array:
        """(turns, actions, 3) outcomes of one conversation."""
        start = self.offsets[conversation]
        return self.table[start : start + len(self.conversations[conversation].turns)]
