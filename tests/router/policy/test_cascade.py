"""Cascade: the local answer's confidence decides whether it stands or escalates."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from router.endpoints.base import TokenDelta
from router.endpoints.function import FunctionEndpoint, FunctionScoringEndpoint
from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.ledger.store import Ledger
from router.policy.cascade import CascadePolicy
from router.policy.confidence import agreement, confidence
from router.turn.events import EscalationStarted, RouteChosen, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import GenerationOptions, Message
from tests.router.policy.helpers import (
    endpoints,
    request,
    scored,
    scoring_local,
)


def _pipeline(
    tmp_path: Path, local: FunctionScoringEndpoint, samples: int = 2
) -> tuple[TurnPipeline, FunctionEndpoint]:
    cloud = endpoints()["claude"]
    pipeline = TurnPipeline(
        endpoints={"local": local, "claude": cloud},
        policy=CascadePolicy(threshold=0.6),
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=64, seed=7),
        cascade_samples=samples,
    )
    return pipeline, cloud


async def _run(pipeline: TurnPipeline, text: str) -> list[object]:
    return [e async for e in pipeline.run_turn(request(text))]


def test_confidence_rises_with_log_prob_and_falls_with_entropy() -> None:
    sure = confidence([scored("Paris.", -0.05, 0.2)])
    unsure = confidence([scored("Maybe Lyon.", -2.5, 4.0)])
    assert sure.score > 0.8 > 0.2 > unsure.score
    assert confidence([]).score == 0.0
    # Disagreeing samples pull a confident answer down.
    split = confidence(
        [scored("Paris is the capital", -0.05, 0.2), scored("Lyon maybe", -0.05, 0.2)]
    )
    assert split.score < sure.score and split.agreement is not None and split.agreement < 0.2
    assert agreement(["a b c", "a b c"]) == 1.0


async def test_confident_local_answer_is_kept(tmp_path: Path) -> None:
    local = scoring_local([scored("The capital of France is Paris.", -0.05, 0.3)])
    pipeline, cloud = _pipeline(tmp_path, local)
    events = await _run(pipeline, "What is the capital of France?")
    assert isinstance(events[0], RouteChosen) and events[0].decision.escalate_to == "claude"
    assert not any(isinstance(e, EscalationStarted) for e in events)
    assert "".join(e.text for e in events if isinstance(e, TokenDelta)) == (
        "The capital of France is Paris."
    )
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.route is not None
    route = finished.turn.route
    assert route.endpoint == "local" and route.confidence is not None and route.confidence >= 0.6
    assert "kept the local answer" in route.reason
    assert len(local.scored) == 2  # the answer plus one agreement sample
    assert cloud.requests == []
    [stored] = pipeline.ledger.turns("s1")
    assert stored.answer == "The capital of France is Paris." and stored.status == "complete"


async def test_unsure_local_answer_escalates_with_a_reason(tmp_path: Path) -> None:
    local = scoring_local([scored("I think it might be Lyon", -2.4, 4.5)])
    pipeline, cloud = _pipeline(tmp_path, local)
    events = await _run(pipeline, "What is the capital of France?")
    [escalation] = [e for e in events if isinstance(e, EscalationStarted)]
    assert escalation.withdrawn_text == "I think it might be Lyon"
    assert escalation.confidence < 0.6
    assert escalation.decision.endpoint == "claude"
    assert escalation.decision.reason.startswith(
        f"local confidence {escalation.confidence:.2f} < 0.60"
    )
    assert "escalated to claude" in escalation.decision.reason
    answer = "".join(e.text for e in events if isinstance(e, TokenDelta))
    assert answer == "claude: What is the capital of France?"
    assert len(cloud.requests) == 1
    [stored] = pipeline.ledger.turns("s1")
    assert stored.answer == answer and stored.route is not None
    assert stored.route.endpoint == "claude" and stored.route.confidence == escalation.confidence


async def test_unsure_answer_stays_local_when_the_remote_is_down(tmp_path: Path) -> None:
    local = scoring_local([scored("I think it might be Lyon", -2.4, 4.5)])
    pipeline, cloud = _pipeline(tmp_path, local)
    cloud.up = False
    events = await _run(pipeline, "What is the capital of France?")
    assert not any(isinstance(e, EscalationStarted) for e in events)
    assert events[0].decision.escalate_to is None  # type: ignore[attr-defined]
    assert "no remote reachable" in events[0].decision.reason  # type: ignore[attr-defined]


async def test_keep_local_turn_never_escalates(tmp_path: Path) -> None:
    from router.privacy.detectors.registry import default_detectors
    from router.privacy.rules import PrivacyRule, build_rules
    from router.privacy.scan import Scanner

    local = scoring_local([scored("unsure", -3.0, 5.0)])
    pipeline, cloud = _pipeline(tmp_path, local)
    rule = PrivacyRule(name="codename", keywords=["bluebird"], action="keep_local", reason="x")
    pipeline.scanner = Scanner(rules=build_rules([rule]), detectors=default_detectors(ner=False))
    events = await _run(pipeline, "what's the status of bluebird?")
    assert not any(isinstance(e, EscalationStarted) for e in events)
    assert cloud.requests == []
    assert events[0].decision.endpoint == "local"  # type: ignore[attr-defined]


async def test_real_gguf_answers_with_token_log_probs(tiny_gguf: Path) -> None:
    endpoint = LlamaCppEndpoint(tiny_gguf, n_ctx=512)
    greedy = GenerationOptions(max_tokens=12, temperature=0.0, seed=1)
    messages = [Message(role="user", content="hello there")]
    answer = await endpoint.answer_scored(messages, greedy)
    again = await endpoint.answer_scored(messages, greedy)
    n = len(answer.token_logprobs)
    assert n == len(answer.token_entropies) == answer.usage.output_tokens > 0
    assert endpoint.model is not None
    n_vocab = endpoint.model.n_vocab
    for logprob, entropy in zip(answer.token_logprobs, answer.token_entropies, strict=True):
        # Greedy picks the most likely token, whose probability is at least 1/vocab.
        assert -math.log(n_vocab) - 1e-6 <= logprob <= 0.0
        assert 0.0 <= entropy <= math.log(n_vocab) + 1e-6
    assert again.text == answer.text
    assert again.token_logprobs == pytest.approx(answer.token_logprobs, abs=1e-3)
    # A random-weight model is unsure of itself: the cascade would escalate.
    assert confidence([answer]).score < 0.6


async def test_cascade_without_a_scoring_device_model_streams_plainly(tmp_path: Path) -> None:
    eps = endpoints()
    pipeline = TurnPipeline(
        endpoints=eps,
        policy=CascadePolicy(threshold=0.6),
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=64),
    )
    events = await _run(pipeline, "what is a monad?")
    decision = events[0].decision  # type: ignore[attr-defined]
    assert decision.endpoint == "local" and decision.escalate_to is None
    assert "cannot score its answers" in decision.reason
    assert "".join(e.text for e in events if isinstance(e, TokenDelta)) == "local: what is a monad?"
    assert eps["claude"].requests == []
