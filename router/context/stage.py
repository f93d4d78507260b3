"""One object the turn pipeline holds for the context stage: pack, then refresh.

`ContextStage.pack` builds the handoff for the chosen endpoint from the
ledger's turns, the stored summary and a retriever; `after_turn` refreshes the
summary on the local model once a turn has completed. Both are thin: the logic
lives in `handoff.py` and `summary.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from router.context.handoff import HandoffPlan, PackedHandoff, pack_handoff, plan_from_settings
from router.context.retrieval import EmbeddingRetriever, Retriever
from router.context.settings import ContextSettings
from router.context.summary import refresh_summary
from router.context.turns import history_turns
from router.endpoints.base import Endpoint
from router.ledger.summaries import SessionSummary, SummaryStore
from router.privacy.scan import Scanner
from router.types import Message, Turn, TurnRequest

RetrieverFor = Callable[[str], Retriever]
"""Returns the retriever for a session id (e.g. a `MemoryStoreRetriever` over Chroma)."""


@dataclass
class ContextStage:
    """The context stage's state: plan, summaries and retrieval."""

    settings: ContextSettings = field(default_factory=ContextSettings)
    summaries: SummaryStore = field(default_factory=SummaryStore)
    """Summaries (give it the ledger's file to persist them)."""
    retriever_for: RetrieverFor | None = None
    """Retriever per session; None uses one in-memory MiniLM + BM25 retriever."""
    _default: EmbeddingRetriever | None = field(default=None, init=False, repr=False)

    @property
    def plan(self) -> HandoffPlan:
        """The packing plan the settings describe."""
        return plan_from_settings(self.settings)

    def retriever(self, session_id: str) -> Retriever:
        """The retriever for `session_id`."""
        if self.retriever_for is not None:
            return self.retriever_for(session_id)
        if self._default is None:
            from router.memory.embedding import embeddings_available

            dense = embeddings_available(
                "context-embeddings",
                "context packing ranks earlier turns by their words alone (BM25)",
            )
            self._default = EmbeddingRetriever(dense=dense)
        return self._default

    def summary_messages(self, session_id: str) -> list[Message]:
        """The conversation's summary as a system message, when one is kept."""
        summary = self.summaries.get(session_id) if self.settings.summary else None
        return [Message(role="system", content=summary.text)] if summary else []

    def pack(
        self,
        request: TurnRequest,
        turns: Sequence[Turn],
        endpoint: Endpoint,
        *,
        system_prompt: str,
        reserve_output_tokens: int,
    ) -> PackedHandoff:
        """The handoff for `endpoint`, from the session's ledger turns (any status)."""
        summary = self.summaries.get(request.session_id) if self.settings.summary else None
        return pack_handoff(
            request,
            history_turns(turns),
            endpoint,
            system_prompt=system_prompt,
            reserve_output_tokens=reserve_output_tokens,
            plan=self.plan,
            summary=summary,
            retriever=self.retriever(request.session_id),
        )

    async def after_turn(
        self, session_id: str, turns: Sequence[Turn], local_endpoint: Endpoint, scanner: Scanner
    ) -> SessionSummary | None:
        """Refresh the session summary on the local model if it is due; cheap otherwise."""
        if not self.settings.summary:
            return None
        return await refresh_summary(
            self.summaries,
            local_endpoint,
            session_id,
            history_turns(turns),
            scanner,
            every_n_turns=self.settings.summary_every_n_turns,
            max_words=self.settings.summary_max_words,
        )
