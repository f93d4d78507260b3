"""Build a `TurnPipeline` for a test and run turns through it.

    pipeline = make_pipeline(tmp_path)  # the device "local" echoes, LocalOnlyPolicy
    events = await collect(pipeline, "hello")
    assert finished(events).turn.answer == "echo: hello"

Every `TurnPipeline` field can be overridden by name; the rest are defaults a
test rarely cares about.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from router.endpoints.base import TokenDelta
from router.endpoints.fake import FakeEndpoint
from router.ledger.database import MEMORY
from router.ledger.store import Ledger
from router.policy.decide import LocalOnlyPolicy
from router.turn.events import RouteChosen, TurnEvent, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import Attachment, GenerationOptions, TurnRequest

SESSION = "s1"
"""The session `collect` runs turns in unless told otherwise."""


def make_pipeline(store: Path | Ledger | None = None, /, **overrides: Any) -> TurnPipeline:
    """A pipeline whose every field is a test default unless `overrides` names it.

    `store` is a folder (the ledger is `ledger.db` in it), a ledger, or None for a
    ledger in memory. Defaults: one `FakeEndpoint` named "local" that echoes,
    `LocalOnlyPolicy`, and 64-token answers (a small output reserve, so small
    context windows still fit a prompt).
    """
    if "ledger" not in overrides:
        if isinstance(store, Ledger):
            overrides["ledger"] = store
        else:
            overrides["ledger"] = Ledger(MEMORY if store is None else store / "ledger.db")
    elif store is not None:
        raise TypeError("make_pipeline: pass the ledger as `store` or as `ledger=`, not both")
    fields: dict[str, Any] = {
        "endpoints": {"local": FakeEndpoint(name="local")},
        "policy": LocalOnlyPolicy(),
        "generation": GenerationOptions(max_tokens=64),
        **overrides,
    }
    return TurnPipeline(**fields)


async def collect(
    pipeline: TurnPipeline,
    request: TurnRequest | str,
    *,
    session_id: str = SESSION,
    attachments: Sequence[Attachment] = (),
) -> list[TurnEvent]:
    """Run one turn to its end and return its events; a text becomes a request in `session_id`."""
    if isinstance(request, str):
        request = TurnRequest(text=request, session_id=session_id, attachments=tuple(attachments))
    return [event async for event in pipeline.run_turn(request)]


def route_chosen(events: Sequence[TurnEvent]) -> RouteChosen:
    """The turn's first event, which is always its `RouteChosen`."""
    first = events[0]
    assert isinstance(first, RouteChosen), f"a turn starts with RouteChosen, not {first!r}"
    return first


def finished(events: Sequence[TurnEvent]) -> TurnFinished:
    """The turn's last event, which is its `TurnFinished` when the turn ran to its end."""
    last = events[-1]
    assert isinstance(last, TurnFinished), f"a finished turn ends with TurnFinished, not {last!r}"
    return last


def streamed_text(events: Sequence[TurnEvent]) -> str:
    """Every `TokenDelta` of the turn joined: the text the user saw stream in."""
    return "".join(event.text for event in events if isinstance(event, TokenDelta))
