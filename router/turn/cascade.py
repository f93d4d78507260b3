"""The cascade stage: answer on the device with log-probabilities, keep the answer or
escalate to the decision's off-device endpoint when its confidence is too low."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import replace

from router.endpoints.base import TokenDelta
from router.errors import EgressBlockedError, EndpointError
from router.policy.cascade import ScoringEndpoint
from router.policy.confidence import ScoredAnswer, confidence
from router.turn.attempt import Attempt, with_attachments
from router.turn.events import EscalationStarted, TurnEvent, TurnFinished
from router.turn.streaming import StreamingStages
from router.types import Message, PrivacyReport, Turn, TurnRequest, TurnStatus


class CascadeStages(StreamingStages):
    """Adds the cascade branch to the streaming stages."""

    async def _cascade(
        self,
        turn: Turn,
        request: TurnRequest,
        report: PrivacyReport,
        history: Sequence[Message],
        attempt: Attempt,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Answer locally with log-probs; keep the answer or escalate below the threshold."""
        decision = attempt.decision
        threshold = decision.confidence_threshold or 0.0
        started = time.perf_counter()
        try:
            samples = await self._local_samples(attempt)
        except BaseException as exc:
            status: TurnStatus = "cancelled" if isinstance(exc, asyncio.CancelledError) else "error"
            self.ledger.finish_turn(
                turn.id, status=status, answer="", route=decision, usage=None, error=str(exc)
            )
            raise
        conf = confidence(samples)
        local_text = samples[0].text
        target = self.endpoints.get(decision.escalate_to or "")
        escalation: Attempt | None = None
        if conf.score < threshold and target is not None and target.available():
            escalated = decision.model_copy(
                update={
                    "endpoint": target.name,
                    "endpoint_kind": target.kind,
                    "confidence": conf.score,
                    "escalate_to": None,
                    "reason": f"local confidence {conf.score:.2f} < {threshold:.2f} "
                    f"({conf.describe()}): escalated to {target.name}",
                    "expected_quality": None,
                    "expected_latency_s": None,
                    "expected_cost_usd": None,
                }
            )
            try:
                await target.prepare()
                packed = self._pack(
                    with_attachments(request, decision.attachments_sent), history, target
                )
                escalation = self._outbound(request, report, Attempt(target, packed, escalated))
                if escalation.decision.reason != escalated.reason:  # redaction adds its note
                    note = escalation.decision.reason
                    escalation = replace(
                        escalation,
                        decision=escalation.decision.model_copy(
                            update={"reason": f"{escalated.reason}; {note}"}
                        ),
                    )
            except (EgressBlockedError, EndpointError) as exc:
                decision = decision.model_copy(
                    update={"reason": f"{decision.reason}; escalation blocked ({exc.message})"}
                )
        if escalation is not None:
            yield EscalationStarted(
                decision=escalation.decision,
                confidence=conf.score,
                withdrawn_text=local_text,
                sent_messages=escalation.packed.messages,
            )
            async with aclosing(
                self._stream_and_commit(
                    turn, request, history, escalation, report, kind="escalation"
                )
            ) as events:
                async for event in events:
                    yield event
            return
        verdict = ">=" if conf.score >= threshold else "<"
        kept = decision.model_copy(
            update={
                "confidence": conf.score,
                "reason": f"local confidence {conf.score:.2f} {verdict} {threshold:.2f} "
                f"({conf.describe()}): kept the local answer",
            }
        )
        if verdict == "<":
            kept = kept.model_copy(update={"reason": f"{kept.reason}; {decision.reason}"})
        # Nothing is shown until every sample is scored: that wait is the turn's latency.
        waited = time.perf_counter() - started
        usage = samples[0].usage.model_copy(update={"ttft_s": waited, "latency_s": waited})
        self.latency.observe(attempt.endpoint.name, usage)
        if local_text:
            yield TokenDelta(text=local_text)
        self.ledger.finish_turn(
            turn.id, status="complete", answer=local_text, route=kept, usage=usage
        )
        yield TurnFinished(
            turn=turn.model_copy(
                update={"answer": local_text, "route": kept, "usage": usage, "status": "complete"}
            )
        )

    async def _local_samples(self, attempt: Attempt) -> list[ScoredAnswer]:
        """The shown answer plus extra samples (other seeds) for the agreement check."""
        scorer = attempt.endpoint
        assert isinstance(scorer, ScoringEndpoint)  # checked by the caller
        samples: list[ScoredAnswer] = []
        for i in range(max(1, self.cascade_samples)):
            seed = None if self.generation.seed is None else self.generation.seed + i
            options = self.generation.model_copy(update={"seed": seed})
            samples.append(await scorer.answer_scored(attempt.packed.messages, options))
        return samples
