"""What memory stores per turn, and how Chroma rows map back to hits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from router.memory.embedding import Vectors
from router.memory.wire import Redactor
from router.types import FindingAction, Turn

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Where

INDEXED_STATUSES = frozenset({"complete", "cancelled", "incomplete"})


class MemoryHit(BaseModel):
    """One earlier turn a memory search found."""

    model_config = ConfigDict(frozen=True)

    turn_id: str = Field(description="Id of the turn in the ledger.")
    session_id: str = Field(description="Conversation the turn belongs to.")
    seq: int = Field(description="Position of the turn in its conversation.")
    user_text: str = Field(description="What the user asked.")
    answer: str = Field(description="The answer (possibly partial for a stopped turn).")
    score: float = Field(ge=0, le=1, description="Cosine similarity to the query, in [0, 1].")
    privacy_action: FindingAction = Field(
        description="The turn's privacy verdict; `keep_local` hits must never leave the device."
    )
    stored: Literal["device", "server"] = Field(description="Which index the hit came from.")


SERVER_SKIPPED = (
    "the memory server was not searched, since a privacy rule keeps this query on this "
    "device; only this device's index was searched"
)


@dataclass(frozen=True)
class MemorySearch:
    """A search's hits, and whether the memory server was left out of it."""

    hits: list[MemoryHit]
    server_skipped: bool = False
    """True when a server is configured but the query could not be sent to it."""

    @property
    def note(self) -> str:
        """What to tell the user about where was searched ("" when everywhere)."""
        return SERVER_SKIPPED if self.server_skipped else ""


def indexable(turn: Turn) -> bool:
    """Whether a turn belongs in memory.

    Complete turns, and stopped or interrupted ones whose partial answer the user
    saw (they are searchable and carry their status); failed, in-progress and
    empty turns are not.
    """
    return turn.status in INDEXED_STATUSES and (turn.status == "complete" or bool(turn.answer))


def document(turn: Turn) -> str:
    """The text indexed for a turn: the question, a blank line, the answer."""
    return f"{turn.user_text}\n\n{turn.answer}"


def shareable(turn: Turn, redactor: Redactor) -> Turn:
    """The turn as the cloud saw it: every value its session redacted, as its placeholder.

    The answer is stored restored, so it is redacted again; returns `turn`
    itself when nothing changes.
    """
    user_text = redactor.redact(turn.session_id, turn.user_text)
    answer = redactor.redact(turn.session_id, turn.answer)
    if (user_text, answer) == (turn.user_text, turn.answer):
        return turn
    return turn.model_copy(update={"user_text": user_text, "answer": answer})


def privacy(turn: Turn) -> FindingAction:
    """The turn's privacy verdict (`allow` when it was never routed)."""
    return turn.route.privacy_action if turn.route else "allow"


def metadata(turn: Turn) -> dict[str, str | int]:
    """The metadata stored with a turn's vector."""
    route = turn.route
    return {
        "session_id": turn.session_id,
        "seq": turn.seq,
        "turn_id": turn.id,
        "endpoint": route.endpoint if route else "",
        "privacy_action": privacy(turn),
        "redactions": ",".join(route.redactions) if route else "",
        "created_at": turn.created_at.isoformat(),
        "status": turn.status,
        "user_chars": len(turn.user_text),
    }


def where_clause(session_id: str | None, exclude: Sequence[str]) -> dict[str, Any] | None:
    """A Chroma `where` filter for one session and/or without some turns (None: no filter)."""
    clauses: list[dict[str, Any]] = []
    if session_id is not None:
        clauses.append({"session_id": session_id})
    if exclude:
        clauses.append({"turn_id": {"$nin": list(exclude)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def ranked_here(rows: Any, vector: Any, k: int) -> dict[str, list[list[Any]]]:
    """Chroma `get` rows (with embeddings) ranked against `vector` on this device.

    Shaped like a one-query `query` result, for `hits_from`; cosine distance,
    as the collections use.
    """
    if not rows["ids"]:
        return {"documents": [[]], "metadatas": [[]], "distances": [[]]}
    stored = np.asarray(rows["embeddings"], dtype=np.float64)
    query = np.asarray(vector, dtype=np.float64).ravel()
    norms = np.linalg.norm(stored, axis=1) * (np.linalg.norm(query) or 1.0)
    similarity = stored @ query / np.where(norms == 0, 1.0, norms)
    best = np.argsort(-similarity, kind="stable")[:k]
    return {
        "documents": [[rows["documents"][i] for i in best]],
        "metadatas": [[rows["metadatas"][i] for i in best]],
        "distances": [[float(1.0 - similarity[i]) for i in best]],
    }


def hits_from(result: Any, stored: Literal["device", "server"]) -> list[MemoryHit]:
    """Turn a Chroma query result (one query) into hits; cosine distance becomes similarity."""
    hits: list[MemoryHit] = []
    for doc, meta, distance in zip(
        result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
    ):
        cut = int(meta["user_chars"])
        hits.append(
            MemoryHit(
                turn_id=str(meta["turn_id"]),
                session_id=str(meta["session_id"]),
                seq=int(meta["seq"]),
                user_text=doc[:cut],
                answer=doc[cut + 2 :],
                score=min(1.0, max(0.0, 1.0 - float(distance))),
                privacy_action=meta["privacy_action"],
                stored=stored,
            )
        )
    return hits


def nearest_rows(col: Collection, vector: Vectors, k: int, where: Where | None) -> Any:
    """Chroma's `k` rows nearest `vector` (the query is sent to where `col` lives)."""
    return col.query(
        query_embeddings=[vector.tolist()],
        n_results=k,
        where=where,
        include=["documents", "metadatas", "distances"],
    )


def session_rows(col: Collection, where: Where | None) -> Any:
    """The rows `where` selects, with their vectors, for ranking on this device."""
    return col.get(where=where, include=["documents", "metadatas", "embeddings"])


def delete_sessions(col: Collection, ids: list[str]) -> None:
    """Delete every row of the conversations `ids`."""
    among: dict[Literal["$in", "$nin"], list[str | int | float | bool]] = {"$in": [*ids]}
    where: Where = {"session_id": among}
    col.delete(where=where)
