"""The context of a one-off question: earlier conversations recalled from memory.

A question put to the device from outside (the MCP `assistant` server's
`ask_local`) runs in a session of its own that has no turns, so the chat's
context stage would give it nothing. `RecalledContext` packs the question with
turns found in the user's other conversations instead, through the same
handoff packer: quoted in one user message under the retrieved-turns heading
(so the tool host treats them as untrusted text), one label line per
conversation, best first until the device's prompt budget is spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from router.context.handoff import PackedHandoff, pack_handoff
from router.context.stage import ContextStage
from router.context.turns import HistoryTurn, ScoredTurn
from router.endpoints.base import Endpoint
from router.types import Turn, TurnRequest


@dataclass
class RecalledContext(ContextStage):
    """A context stage whose earlier turns are `recalled` ones, not the session's own."""

    recalled: Sequence[ScoredTurn] = field(default_factory=tuple)
    """Turns from other conversations with their relevance, each with a unique `seq`."""

    def pack(
        self,
        request: TurnRequest,
        turns: Sequence[Turn],
        endpoint: Endpoint,
        *,
        system_prompt: str,
        reserve_output_tokens: int,
    ) -> PackedHandoff:
        """The question with the recalled turns that fit; `turns` (a new session's) are none."""
        return pack_handoff(
            request,
            [scored.turn for scored in self.recalled],
            endpoint,
            system_prompt=system_prompt,
            reserve_output_tokens=reserve_output_tokens,
            plan=replace(self.plan, recent_turns=0),  # every earlier turn competes on relevance
            retriever=_InRecallOrder(self.recalled),
        )


class _InRecallOrder:
    """A retriever that keeps the order memory recalled the turns in."""

    def __init__(self, recalled: Sequence[ScoredTurn]) -> None:
        self._recalled = recalled

    def rank(self, query: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
        """The recalled turns among `candidates`, most relevant first."""
        wanted = {id(turn) for turn in candidates}
        ranked = [scored for scored in self._recalled if id(scored.turn) in wanted]
        return sorted(ranked, key=lambda scored: scored.score, reverse=True)
