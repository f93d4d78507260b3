"""A `RouteChanged` hands the turn to another endpoint and says what becomes of the text shown.

A fallback withdraws it (the device's answer replaces it); a tool result kept local
keeps it (the device continues the answer). Either way the ledger stores the answer
the user is left looking at.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from router.endpoints.base import TokenDelta
from router.endpoints.fake import FakeEndpoint
from router.errors import EndpointUnavailableError
from router.policy.decide import PreferRemotePolicy
from router.turn.events import FallbackStarted, RouteChanged, ToolResultKeptLocal, TurnEvent
from tests.router.mcp.test_tool_privacy import CARD, _run, _setup
from tests.support.pipeline import collect, finished, make_pipeline, streamed_text
from tests.support.scripted import Scripted


def shown(events: Sequence[TurnEvent]) -> str:
    """The answer as a front end leaves it: a change that does not keep the text clears it."""
    text = ""
    for event in events:
        if isinstance(event, RouteChanged) and not event.keeps_text:
            assert text.endswith(event.withdrawn_text)
            text = ""
        elif isinstance(event, TokenDelta):
            text += event.text
    return text


async def test_a_fallback_withdraws_the_text_shown_so_far(tmp_path: Path) -> None:
    cloud = Scripted([TokenDelta(text="half an ans"), EndpointUnavailableError("reset")])
    local = FakeEndpoint(lambda _: "local answer", name="local")
    pipeline = make_pipeline(
        tmp_path, endpoints={"cloud": cloud, "local": local}, policy=PreferRemotePolicy()
    )
    events = await collect(pipeline, "hi")
    [change] = [e for e in events if isinstance(e, RouteChanged)]
    assert isinstance(change, FallbackStarted)
    assert not change.keeps_text and change.withdrawn_text == "half an ans"
    assert change.decision.endpoint == "local"
    assert streamed_text(events) == "half an ans" + "local answer"  # both were streamed
    assert shown(events) == "local answer"
    [stored] = pipeline.ledger.turns("s1")
    assert stored.answer == finished(events).turn.answer == "local answer"


async def test_a_tool_result_kept_local_keeps_the_text_shown_so_far(tmp_path: Path) -> None:
    pipeline, cloud, local, host = _setup(tmp_path, "bank", f"statement: card {CARD}")
    events = await _run(pipeline, host, "summarise my bank statement")
    [change] = [e for e in events if isinstance(e, RouteChanged)]
    assert isinstance(change, ToolResultKeptLocal)
    assert change.keeps_text and change.withdrawn_text == ""
    assert change.decision.endpoint == "local"
    # The cloud's preamble stays; the device goes on from it with the tool's result.
    answer = streamed_text(events)
    assert answer.startswith("Let me check. ") and CARD in answer
    assert shown(events) == answer
    [stored] = pipeline.ledger.turns("s")
    assert stored.answer == finished(events).turn.answer == answer
    assert len(cloud.requests) == 1 and local.requests
