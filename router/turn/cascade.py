"""The cascade attempt: answer on the device with log-probabilities, then keep the answer
or escalate to the decision's off-device endpoint when its confidence is too low.

The pipeline runs `cascade_attempt` as a cascade decision's first attempt; the
escalation itself is an ordinary attempt (an `EscalationStarted` route change).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass

from router.endpoints.base import Endpoint, ScoredAnswer, StreamEnd, TokenDelta
from router.policy.cascade import ScoringEndpoint
from router.policy.confidence import Confidence, confidence
from router.turn.attempt import Attempt, Outcome
from router.turn.events import EscalationStarted
from router.types import GenerationOptions, RouteDecision

Escalate = Callable[
    [RouteDecision, "ScoredLocalAnswer"], Awaitable[tuple[Attempt | None, RouteDecision]]
]
"""Prepares the escalation attempt, or says in the decision why there is none."""


def is_cascade(attempt: Attempt) -> bool:
    """Whether the attempt answers on the device first and may escalate."""
    return bool(attempt.decision.escalate_to) and isinstance(attempt.endpoint, ScoringEndpoint)


@dataclass(frozen=True)
class ScoredLocalAnswer:
    """The device's answer with its confidence, before the keep-or-escalate choice."""

    samples: list[ScoredAnswer]
    confidence: Confidence

    @property
    def text(self) -> str:
        """The answer shown if it is kept (the first sample)."""
        return self.samples[0].text


async def scored_local_answer(
    attempt: Attempt, generation: GenerationOptions, samples: int
) -> ScoredLocalAnswer:
    """The shown answer plus extra samples (other seeds) for the agreement check."""
    scorer = attempt.endpoint
    assert isinstance(scorer, ScoringEndpoint)  # checked by is_cascade
    answers: list[ScoredAnswer] = []
    for i in range(max(1, samples)):
        seed = None if generation.seed is None else generation.seed + i
        options = generation.model_copy(update={"seed": seed})
        answers.append(await scorer.answer_scored(attempt.packed.messages, options))
    return ScoredLocalAnswer(answers, confidence(answers))


def escalation_decision(
    decision: RouteDecision, target: Endpoint, answer: ScoredLocalAnswer
) -> RouteDecision:
    """The route to `target`, its reason naming the confidence that was too low."""
    conf, threshold = answer.confidence, decision.confidence_threshold or 0.0
    return decision.model_copy(
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


def kept_decision(decision: RouteDecision, answer: ScoredLocalAnswer) -> RouteDecision:
    """The route that keeps the device's answer, its reason naming the confidence."""
    conf, threshold = answer.confidence, decision.confidence_threshold or 0.0
    verdict = ">=" if conf.score >= threshold else "<"
    reason = (
        f"local confidence {conf.score:.2f} {verdict} {threshold:.2f} "
        f"({conf.describe()}): kept the local answer"
    )
    if verdict == "<":  # escalation was wanted but could not happen: the decision says why
        reason = f"{reason}; {decision.reason}"
    return decision.model_copy(update={"confidence": conf.score, "reason": reason})


def wants_escalation(decision: RouteDecision, answer: ScoredLocalAnswer) -> bool:
    """Whether the answer's confidence is below the decision's threshold."""
    return answer.confidence.score < (decision.confidence_threshold or 0.0)


async def cascade_attempt(
    attempt: Attempt,
    outcome: Outcome,
    generation: GenerationOptions,
    samples: int,
    escalate: Escalate,
) -> AsyncGenerator[TokenDelta, None]:
    """The device answers with log-probs; the answer is kept, or the turn escalates
    (`outcome.hand_over` with an `EscalationStarted`)."""
    started = time.perf_counter()
    answer = await scored_local_answer(attempt, generation, samples)
    decision = attempt.decision
    if wants_escalation(decision, answer):
        escalation, decision = await escalate(decision, answer)
        if escalation is not None:
            change = EscalationStarted(
                decision=escalation.decision,
                reason=escalation.decision.reason,
                confidence=answer.confidence.score,
                withdrawn_text=answer.text,
                sent_messages=escalation.packed.messages,
            )
            outcome.hand_over(escalation, change)
            return
    # Nothing is shown until every sample is scored: that wait is the turn's latency.
    waited = time.perf_counter() - started
    usage = answer.samples[0].usage.model_copy(update={"ttft_s": waited, "latency_s": waited})
    outcome.decision = kept_decision(decision, answer)
    outcome.end = StreamEnd(usage=usage, finish_reason="stop")
    if answer.text:
        outcome.parts.append(answer.text)
        yield TokenDelta(text=answer.text)
