"""Stage `ledger.commit`: how a turn ended, persisted once, whatever way it ended."""

from __future__ import annotations

from router.ledger.store import Ledger
from router.types import RouteDecision, Turn, TurnStatus, Usage


def commit(
    ledger: Ledger,
    turn: Turn,
    *,
    status: TurnStatus,
    answer: str,
    route: RouteDecision,
    usage: Usage | None,
    error: str | None = None,
) -> Turn:
    """Persist the turn's end in one transaction; the record as the ledger now has it."""
    ledger.finish_turn(turn.id, status=status, answer=answer, route=route, usage=usage, error=error)
    return turn.model_copy(
        update={"answer": answer, "route": route, "usage": usage, "status": status, "error": error}
    )
