"""Stage `ledger.commit`: a turn is persisted once however it ends, and its row says how."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from router.endpoints.base import TokenDelta
from router.endpoints.fake import FakeEndpoint
from router.endpoints.function import EndpointCall, FunctionEndpoint
from router.errors import EmptyPromptError, EndpointError, EndpointUnavailableError
from router.ledger.store import Ledger
from router.policy.decide import PreferRemotePolicy
from router.turn.pipeline import TurnPipeline
from router.types import RouteDecision, TurnRequest, TurnStatus, Usage
from tests.support.pipeline import collect, finished, make_pipeline
from tests.support.scripted import Scripted


class CommitLog(Ledger):
    """A ledger that remembers each turn end it persisted, in order."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.commits: list[tuple[str, TurnStatus]] = []

    def finish_turn(
        self,
        turn_id: str,
        *,
        status: TurnStatus,
        answer: str,
        route: RouteDecision | None,
        usage: Usage | None,
        error: str | None = None,
    ) -> None:
        self.commits.append((turn_id, status))
        super().finish_turn(
            turn_id, status=status, answer=answer, route=route, usage=usage, error=error
        )


async def _reset_mid_answer(call: EndpointCall) -> AsyncIterator[str]:
    yield "partial"
    raise OSError("connection reset")


def _rows(ledger: Ledger) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in ledger.db.fetchall("SELECT id, status, answer FROM turns")]


def _committed_once(ledger: CommitLog, status: TurnStatus, answer: str) -> None:
    """One row, in its final state, written by exactly one commit."""
    [(turn_id, stored_status, stored_answer)] = _rows(ledger)
    assert ledger.commits == [(turn_id, status)]
    assert (stored_status, stored_answer) == (status, answer)


def _pipeline(tmp_path: Path, **overrides: object) -> tuple[TurnPipeline, CommitLog]:
    ledger = CommitLog(tmp_path / "ledger.db")
    return make_pipeline(ledger, **overrides), ledger


async def test_a_complete_turn_is_committed_once(tmp_path: Path) -> None:
    pipeline, ledger = _pipeline(tmp_path)
    events = await collect(pipeline, "hi")
    assert finished(events).turn.status == "complete"
    _committed_once(ledger, "complete", "echo: hi")


async def test_a_turn_that_fell_back_is_committed_once_for_both_attempts(tmp_path: Path) -> None:
    cloud = Scripted([TokenDelta(text="half"), EndpointUnavailableError("reset")])
    pipeline, ledger = _pipeline(
        tmp_path,
        endpoints={"cloud": cloud, "local": FakeEndpoint(name="local")},
        policy=PreferRemotePolicy(),
    )
    await collect(pipeline, "hi")
    _committed_once(ledger, "complete", "echo: hi")


async def test_a_failed_turn_is_committed_once_with_its_error(tmp_path: Path) -> None:
    pipeline, ledger = _pipeline(
        tmp_path, endpoints={"local": FunctionEndpoint(_reset_mid_answer, name="local")}
    )
    with pytest.raises(EndpointError, match="connection reset"):
        await collect(pipeline, "hi")
    _committed_once(ledger, "error", "partial")
    [turn] = ledger.turns("s1")
    assert "connection reset" in (turn.error or "")


async def test_a_turn_closed_mid_answer_is_committed_once_as_cancelled(tmp_path: Path) -> None:
    endpoint = FakeEndpoint(lambda _: "one two three four", name="local")
    pipeline, ledger = _pipeline(tmp_path, endpoints={"local": endpoint})
    request = TurnRequest(text="count", session_id="s1")
    async with aclosing(pipeline.run_turn(request)) as events:
        async for event in events:
            if isinstance(event, TokenDelta):
                break
    _committed_once(ledger, "cancelled", "one")


async def test_a_refused_turn_is_never_committed(tmp_path: Path) -> None:
    pipeline, ledger = _pipeline(tmp_path)
    with pytest.raises(EmptyPromptError):
        await collect(pipeline, "   ")
    assert ledger.commits == [] and _rows(ledger) == []
