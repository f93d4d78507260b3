"""The user's own rated answers as a profile, for a full retrain (`tandem router profile
--from-ledger`).

One record per question the user rated an answer to (router/ledger/feedback.py):
the answers of a re-answer pair (the same question asked of the other tier) share
one record, each rated endpoint with its outcome: `quality` 1.0 for a thumbs up and
0.0 for a thumbs down, `latency_s` and `cost_usd` as the turn measured them. The
record's `id` is the first answer's turn id, `conversation` and `turn` place it in
its conversation, and `meta` says where it came from (`source: ledger`, the turn ids,
the endpoint the user preferred, and `kept_local` when a privacy rule kept the
question on this device). The profile is written to a file on this device; nothing
is sent anywhere. Unrated answers are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.learn.profile import Outcome, ProfileRecord
from router.ledger.database import Database, open_database
from router.types import RouteDecision, Usage


@dataclass(frozen=True)
class _Rated:
    """One rated answer, with what its turn recorded."""

    turn_id: str
    endpoint: str
    session_id: str
    seq: int
    question: str
    outcome: Outcome
    kept_local: bool


def _rated(db: Database) -> list[_Rated]:
    rows = db.fetchall(
        "SELECT r.turn_id, r.endpoint, r.good, t.session_id, t.seq, t.user_text, t.usage, "
        "t.route FROM answer_ratings r JOIN turns t ON t.id = r.turn_id "
        "ORDER BY t.created_at, t.seq"
    )
    answers = []
    for turn_id, endpoint, good, session_id, seq, question, usage_json, route_json in rows:
        usage = Usage.model_validate_json(usage_json) if usage_json else Usage()
        route = RouteDecision.model_validate_json(route_json) if route_json else None
        outcome = Outcome(float(bool(good)), usage.latency_s, usage.cost_usd)
        kept = route is not None and route.privacy_action == "keep_local"
        answers.append(_Rated(turn_id, endpoint, session_id, seq, question, outcome, kept))
    return answers


def _first_answers(db: Database) -> dict[str, str]:
    """Each re-answer's first answer, following re-answers of re-answers to the first."""
    parent = dict(db.fetchall("SELECT reanswer_id, turn_id FROM answer_pairs"))
    first: dict[str, str] = {}
    for turn_id in parent:
        root, seen = turn_id, {turn_id}
        while root in parent and parent[root] not in seen:
            root = parent[root]
            seen.add(root)
        first[turn_id] = root
    return first


def profile_from_ledger(database: Database | str | Path) -> list[ProfileRecord]:
    """The rated answers in the ledger as profile records, oldest question first."""
    db = open_database(database)
    first = _first_answers(db)
    preferred = {
        str(row[0]) for row in db.fetchall("SELECT preferred_id FROM answer_pairs") if row[0]
    }
    groups: dict[str, list[_Rated]] = {}
    for answer in _rated(db):
        groups.setdefault(first.get(answer.turn_id, answer.turn_id), []).append(answer)
    return [_record(root, answers, preferred) for root, answers in groups.items()]


def _record(root: str, answers: list[_Rated], preferred: set[str]) -> ProfileRecord:
    """One question's record: every rated endpoint's outcome on it."""
    opening = min(answers, key=lambda a: a.seq)
    winner = next((a.endpoint for a in answers if a.turn_id in preferred), None)
    meta: dict[str, Any] = {
        "source": "ledger",
        "turn_ids": [a.turn_id for a in sorted(answers, key=lambda a: a.seq)],
        "preferred": winner,
        "kept_local": any(a.kept_local for a in answers),
    }
    return ProfileRecord(
        id=root,
        prompt=opening.question,
        endpoints={a.endpoint: a.outcome for a in answers},
        conversation=opening.session_id,
        turn=opening.seq,
        meta=meta,
    )
