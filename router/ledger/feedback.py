"""What the user told Tandem about its answers: ratings and re-answer pairs, in the ledger.

Two tables of the ledger's file (schema.py), kept on the device like the turns
they belong to, and deleted with them when a conversation is deleted:

- `answer_ratings`: one thumbs up or down per answered turn (`rate`; rating again
  replaces it, `clear_rating` takes it back), with the endpoint and the tier (kind)
  that answered, when, and the MiniLM embedding of the question (what the user's
  routing correction compares new questions with, router/policy/user_ratings.py).
- `answer_pairs`: a turn and its re-answer on the other tier (`record_pair`), and
  which of the two the user preferred (`prefer`, or two ratings that disagree).

Bad input (an unknown turn, a turn with no answer, an embedding that is not a
finite vector) raises `FeedbackError` before anything is written, so what was
stored stays as it was. The records it returns are in feedback_records.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from router.ledger.database import Database, open_database
from router.ledger.feedback_records import (
    RATINGS_NOTE,
    AnswerPair,
    FeedbackError,
    FeedbackSummary,
    Observation,
    Rating,
    TierCount,
    Vector,
)
from router.types import RouteDecision, utc_now

__all__ = [
    "RATINGS_NOTE",
    "AnswerPair",
    "FeedbackError",
    "FeedbackStore",
    "FeedbackSummary",
    "Observation",
    "Rating",
    "TierCount",
    "Vector",
]

_MAX_DIMENSIONS = 4096  # MiniLM has 384; anything far larger is not an embedding


def _route_of(row: Any, turn_id: str) -> RouteDecision:
    if row is None:
        raise FeedbackError(f"no such turn {turn_id!r}", "rate an answer shown in the chat")
    if row[0] is None:
        raise FeedbackError(
            "that turn has no answer to rate", "rate an answer once it has finished"
        )
    return RouteDecision.model_validate_json(row[0])


def _checked_embedding(embedding: npt.ArrayLike | None) -> bytes | None:
    """The embedding as float32 bytes; `FeedbackError` unless a finite non-empty vector."""
    if embedding is None:
        return None
    vector = np.asarray(embedding, dtype=np.float32)
    if vector.ndim != 1 or not 0 < vector.size <= _MAX_DIMENSIONS:
        raise FeedbackError(
            f"a question's embedding must be one vector, got shape {vector.shape}",
            "pass the turn's features.embedding",
        )
    if not np.all(np.isfinite(vector)):
        raise FeedbackError("a question's embedding holds a non-finite value", "embed it again")
    return vector.tobytes()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class FeedbackStore:
    """Ratings and re-answer pairs in the ledger's database (its file, or memory)."""

    def __init__(self, database: Database | str | Path | None = None) -> None:
        """Use `database` (the ledger's), or open the file at that path; None: in memory."""
        self.db = open_database(database)

    # --- ratings -------------------------------------------------------------------

    def rate(self, turn_id: str, good: bool, embedding: npt.ArrayLike | None = None) -> Rating:
        """Record the user's thumbs up (`good`) or down on a turn's answer; replaces any earlier.

        Without `embedding`, the question's embedding is borrowed from the other answer of
        its pair, if that one was rated with one. A pair whose two answers now disagree
        records the good one as preferred.
        """
        blob = _checked_embedding(embedding)
        now = utc_now()
        with self.db.transaction() as conn:
            route = _route_of(_route_row(conn, turn_id), turn_id)
            if blob is None:
                blob = _partner_embedding(conn, turn_id)
            conn.execute(
                "INSERT OR REPLACE INTO answer_ratings VALUES (?, ?, ?, ?, ?, ?)",
                (turn_id, route.endpoint, route.endpoint_kind, int(good), now.isoformat(), blob),
            )
            _settle_preference(conn, turn_id)
        return Rating(turn_id, route.endpoint, route.endpoint_kind, bool(good), now)

    def clear_rating(self, turn_id: str) -> bool:
        """Take back the rating of a turn's answer; False if it had none."""
        with self.db.transaction() as conn:
            cur = conn.execute("DELETE FROM answer_ratings WHERE turn_id = ?", (turn_id,))
            return cur.rowcount > 0

    def rating(self, turn_id: str) -> Rating | None:
        """The rating of one turn's answer, if the user gave one."""
        rows = self._ratings("WHERE turn_id = ?", (turn_id,))
        return rows[0] if rows else None

    def ratings(self) -> list[Rating]:
        """Every rating, oldest first."""
        return self._ratings("", ())

    def _ratings(self, where: str, args: Sequence[str]) -> list[Rating]:
        rows = self.db.fetchall(
            f"SELECT turn_id, endpoint, kind, good, rated_at FROM answer_ratings {where} "
            "ORDER BY rated_at, turn_id",
            args,
        )
        return [Rating(r[0], r[1], r[2], bool(r[3]), _when(r[4])) for r in rows]

    def observations(self) -> list[Observation]:
        """The ratings routing learns from: those stored with their question's embedding."""
        rows = self.db.fetchall(
            "SELECT kind, endpoint, good, embedding FROM answer_ratings "
            "WHERE embedding IS NOT NULL ORDER BY rated_at, turn_id"
        )
        return [
            Observation(r[0], r[1], bool(r[2]), np.frombuffer(r[3], dtype=np.float32)) for r in rows
        ]

    def revision(self) -> tuple[int, str, float]:
        """Changes whenever a rating is added, changed or removed (a cache key)."""
        count, latest, good = self.db.fetchone(
            "SELECT COUNT(*), COALESCE(MAX(rated_at), ''), TOTAL(good) FROM answer_ratings"
        )
        return int(count), str(latest), float(good)

    # --- re-answer pairs -----------------------------------------------------------

    def record_pair(self, turn_id: str, reanswer_id: str) -> AnswerPair:
        """Record that `reanswer_id` answered `turn_id`'s question again, on another tier."""
        if turn_id == reanswer_id:
            raise FeedbackError("a turn cannot be paired with itself", "pair it with its re-answer")
        with self.db.transaction() as conn:
            first = _route_of(_route_row(conn, turn_id), turn_id)
            again = _route_of(_route_row(conn, reanswer_id), reanswer_id)
            conn.execute(
                "INSERT OR REPLACE INTO answer_pairs VALUES (?, ?, ?, ?, NULL, ?)",
                (reanswer_id, turn_id, first.endpoint, again.endpoint, utc_now().isoformat()),
            )
            _settle_preference(conn, reanswer_id)
            row = _pair_row(conn, reanswer_id)
        return _pair(row)

    def prefer(self, turn_id: str, embedding: npt.ArrayLike | None = None) -> AnswerPair:
        """Record that the user preferred `turn_id`'s answer to the other one of its pair.

        An answer of the pair the user has not rated is rated too: the preferred one
        good, the other bad (a preference is all routing learns from a pair).
        """
        blob = _checked_embedding(embedding)
        now = utc_now().isoformat()
        with self.db.transaction() as conn:
            row = _pair_row(conn, turn_id)
            if row is None:
                raise FeedbackError(
                    "that answer is not in a pair", "ask the other tier first (/cloud or /local)"
                )
            conn.execute(
                "UPDATE answer_pairs SET preferred_id = ? WHERE reanswer_id = ?", (turn_id, row[0])
            )
            blob = blob or _partner_embedding(conn, row[0]) or _partner_embedding(conn, row[1])
            for member in (row[0], row[1]):
                route = _route_of(_route_row(conn, member), member)
                conn.execute(
                    "INSERT OR IGNORE INTO answer_ratings VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        member,
                        route.endpoint,
                        route.endpoint_kind,
                        int(member == turn_id),
                        now,
                        blob,
                    ),
                )
            return _pair(_pair_row(conn, row[0]))

    def pair_of(self, turn_id: str) -> AnswerPair | None:
        """The pair `turn_id` belongs to (as the first answer or the re-answer), if any."""
        with self.db.lock:
            row = _pair_row(self.db.connection, turn_id)
        return None if row is None else _pair(row)

    def pairs(self) -> list[AnswerPair]:
        """Every pair, oldest first."""
        rows = self.db.fetchall(
            f"SELECT {_PAIR_COLUMNS} FROM answer_pairs ORDER BY created_at, reanswer_id"
        )
        return [_pair(r) for r in rows]

    # --- for the Dashboard ---------------------------------------------------------

    def summary(self) -> FeedbackSummary:
        """Ratings per tier, pairs and who won them, and how many routes the ratings changed."""
        tiers = self.db.fetchall(
            "SELECT kind, TOTAL(good), COUNT(*) - TOTAL(good) FROM answer_ratings "
            "GROUP BY kind ORDER BY kind"
        )
        winners = self.db.fetchall(
            "SELECT json_extract(t.route, '$.endpoint_kind'), COUNT(*) FROM answer_pairs p "
            "JOIN turns t ON t.id = p.preferred_id GROUP BY 1"
        )
        (pairs,) = self.db.fetchone("SELECT COUNT(*) FROM answer_pairs")
        (changed,) = self.db.fetchone(
            "SELECT COUNT(*) FROM turns WHERE instr(json_extract(route, '$.reason'), ?) > 0",
            (RATINGS_NOTE,),
        )
        counts = tuple(TierCount(str(k), int(g), int(b)) for k, g, b in tiers)
        return FeedbackSummary(
            tiers=counts,
            ratings=sum(t.good + t.bad for t in counts),
            pairs=int(pairs),
            preferred={str(k): int(n) for k, n in winners},
            routes_changed=int(changed),
        )


_PAIR_COLUMNS = "reanswer_id, turn_id, endpoint, reanswer_endpoint, preferred_id, created_at"
"""What `_pair` reads, in its order."""


def _route_row(conn: Any, turn_id: str) -> Any:
    return conn.execute("SELECT route FROM turns WHERE id = ?", (turn_id,)).fetchone()


def _pair_row(conn: Any, turn_id: str) -> Any:
    return conn.execute(
        f"SELECT {_PAIR_COLUMNS} FROM answer_pairs "
        "WHERE reanswer_id = ? OR turn_id = ? ORDER BY created_at DESC",
        (turn_id, turn_id),
    ).fetchone()


def _pair(row: Any) -> AnswerPair:
    return AnswerPair(row[1], row[0], row[2], row[3], row[4], _when(row[5]))


def _partner_embedding(conn: Any, turn_id: str) -> bytes | None:
    """The stored embedding of the other answer to the same question (its pair), if any."""
    row = conn.execute(
        "SELECT r.embedding FROM answer_pairs p JOIN answer_ratings r "
        "ON r.turn_id IN (p.turn_id, p.reanswer_id) "
        "WHERE (p.turn_id = ? OR p.reanswer_id = ?) AND r.embedding IS NOT NULL LIMIT 1",
        (turn_id, turn_id),
    ).fetchone()
    return None if row is None else bytes(row[0])


def _settle_preference(conn: Any, turn_id: str) -> None:
    """When both answers of `turn_id`'s pair are rated and disagree, the good one is preferred."""
    row = _pair_row(conn, turn_id)
    if row is None:
        return
    verdicts = dict(
        conn.execute(
            "SELECT turn_id, good FROM answer_ratings WHERE turn_id IN (?, ?)", (row[0], row[1])
        ).fetchall()
    )
    if len(verdicts) == 2 and len(set(verdicts.values())) == 2:
        winner = next(t for t, good in verdicts.items() if good)
        conn.execute(
            "UPDATE answer_pairs SET preferred_id = ? WHERE reanswer_id = ?", (winner, row[0])
        )
