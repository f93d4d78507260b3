"""The turn pipeline: the stages of DESIGN.md, in order, for one chat turn.

    privacy.scan -> policy.features -> policy.decide -> context.pack
      -> privacy.egress -> endpoint.stream -> ledger.commit

A `cascade` decision answers on the device first (non-streamed, with token
log-probabilities) and escalates to its off-device endpoint when the answer's
confidence is below the decision's threshold (an `EscalationStarted` event).

`TurnPipeline.run_turn` yields typed events the GUI, the CLI and the MCP
`assistant` server all render the same way. The stages live in `router.turn`:
`core` (configuration, privacy enforcement, packing, redaction, fallback),
`streaming` (the answer and its tool rounds, then the ledger) and `cascade`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass

from router.errors import EgressBlockedError
from router.mcp.turn import ToolCalled, ToolResultKeptLocal
from router.policy.cascade import ScoringEndpoint
from router.turn.attempt import Attempt, is_remote, title, with_attachments
from router.turn.cascade import CascadeStages
from router.turn.events import (
    AfterTurnHook,
    EscalationStarted,
    FallbackStarted,
    RouteChosen,
    TurnEvent,
    TurnFinished,
)
from router.types import TurnRequest

__all__ = [
    "AfterTurnHook",
    "EscalationStarted",
    "FallbackStarted",
    "RouteChosen",
    "ToolCalled",
    "ToolResultKeptLocal",
    "TurnEvent",
    "TurnFinished",
    "TurnPipeline",
]


@dataclass
class TurnPipeline(CascadeStages):
    """Runs chat turns through the stages, against a set of endpoints and a ledger."""

    async def run_turn(self, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        """Serve one turn, yielding its events; the turn is persisted however it ends.

        Raises `TandemError` subclasses with a user-facing message for bad input
        (empty or too long prompt) before anything is persisted. An off-device
        endpoint that fails, before or during its answer, hands the turn to the
        device (a `FallbackStarted` event); the ledger keeps only the final answer.
        """
        if self.tools is not None:
            await self.tools.ensure_started()  # connects to the MCP servers on the first turn
        history = self.ledger.history(request.session_id)
        # The summary may be packed too, so it is scanned like the history it condenses.
        # In a worker thread: NER and attachment extraction take long enough (seconds
        # when the models first load) to freeze a GUI that shares this event loop.
        scanned = [*history, *self._summary_messages(request)]
        report = await asyncio.to_thread(self.scanner.scan, request, scanned)
        features = self.features(request, report, history)
        decision = self.policy.decide(features)
        decision = self._enforce_privacy(request, report, decision)
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        # Only the attachments the decision chose travel with the request.
        sent = with_attachments(request, decision.attachments_sent)
        packed = self._pack(sent, history, endpoint)
        attempt = Attempt(endpoint, packed, decision)
        if is_remote(endpoint):
            try:
                attempt = self._outbound(request, report, attempt)
            except EgressBlockedError as exc:
                # Nothing was sent yet: answer on the device rather than fail the turn.
                replacement = await self._fallback(request, history, attempt, exc.message)
                if replacement is None:
                    raise
                attempt = replacement
        self.ledger.ensure_session(request.session_id, title=title(request.text))
        turn = self.ledger.begin_turn(request.session_id, request.text, request.attachments)
        yield RouteChosen(
            turn_id=turn.id,
            decision=attempt.decision,
            input_tokens=attempt.packed.input_tokens,
            dropped_turns=attempt.packed.dropped_turns,
            sent_messages=attempt.packed.messages if is_remote(attempt.endpoint) else (),
        )
        if attempt.decision.escalate_to and isinstance(attempt.endpoint, ScoringEndpoint):
            events = self._cascade(turn, request, report, history, attempt)
        else:
            events = self._stream_and_commit(turn, request, history, attempt, report)
        # aclosing: when our consumer stops early, the inner generators must be closed
        # now (stopping generation, recording the cancel), not whenever GC gets to them.
        async with aclosing(events) as stream:
            async for event in stream:
                if isinstance(event, TurnFinished) and event.turn.status == "complete":
                    self._after_turn(event.turn)
                yield event
