"""The cascade turn: the local answer's confidence decides whether it stands or escalates."""

from __future__ import annotations

from pathlib import Path

import pytest

import router.policy.confidence as confidence_module
from router.endpoints.function import FunctionEndpoint, FunctionScoringEndpoint
from router.policy.cascade import CascadePolicy
from router.turn.events import EscalationStarted
from router.turn.pipeline import TurnPipeline
from router.types import GenerationOptions
from tests.router.policy.helpers import endpoints, scored, scoring_local
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen, streamed_text


@pytest.fixture(autouse=True)
def _prior_confidence(monkeypatch: pytest.MonkeyPatch) -> None:
    """The keep-or-escalate mechanics are tested under the prior confidence, whatever
    fitted artifact ships (its own loading is tested in tests/router/policy)."""
    monkeypatch.setattr(confidence_module, "shipped_calibration", lambda: None)


def _pipeline(
    tmp_path: Path, local: FunctionScoringEndpoint, samples: int = 2
) -> tuple[TurnPipeline, FunctionEndpoint]:
    cloud = endpoints()["claude"]
    pipeline = make_pipeline(
        tmp_path,
        endpoints={"local": local, "claude": cloud},
        policy=CascadePolicy(threshold=0.6),
        generation=GenerationOptions(max_tokens=64, seed=7),
        cascade_samples=samples,
    )
    return pipeline, cloud


async def test_confident_local_answer_is_kept(tmp_path: Path) -> None:
    local = scoring_local([scored("The capital of France is Paris.", -0.05, 0.3)])
    pipeline, cloud = _pipeline(tmp_path, local)
    events = await collect(pipeline, "What is the capital of France?")
    assert route_chosen(events).decision.escalate_to == "claude"
    assert not any(isinstance(e, EscalationStarted) for e in events)
    assert streamed_text(events) == "The capital of France is Paris."
    route = finished(events).turn.route
    assert route is not None
    assert route.endpoint == "local" and route.confidence is not None and route.confidence >= 0.6
    assert "kept the local answer" in route.reason
    assert len(local.scored) == 2  # the answer plus one agreement sample
    assert cloud.requests == []
    [stored] = pipeline.ledger.turns("s1")
    assert stored.answer == "The capital of France is Paris." and stored.status == "complete"


async def test_unsure_local_answer_escalates_with_a_reason(tmp_path: Path) -> None:
    local = scoring_local([scored("I think it might be Lyon", -2.4, 4.5)])
    pipeline, cloud = _pipeline(tmp_path, local)
    events = await collect(pipeline, "What is the capital of France?")
    [escalation] = [e for e in events if isinstance(e, EscalationStarted)]
    assert escalation.withdrawn_text == "I think it might be Lyon"
    assert escalation.confidence < 0.6
    assert escalation.decision.endpoint == "claude"
    assert escalation.decision.reason.startswith(
        f"local confidence {escalation.confidence:.2f} < 0.60"
    )
    assert "escalated to claude" in escalation.decision.reason
    answer = streamed_text(events)
    assert answer == "claude: What is the capital of France?"
    assert len(cloud.requests) == 1
    [stored] = pipeline.ledger.turns("s1")
    assert stored.answer == answer and stored.route is not None
    assert stored.route.endpoint == "claude" and stored.route.confidence == escalation.confidence


async def test_unsure_answer_stays_local_when_the_remote_is_down(tmp_path: Path) -> None:
    local = scoring_local([scored("I think it might be Lyon", -2.4, 4.5)])
    pipeline, cloud = _pipeline(tmp_path, local)
    cloud.up = False
    events = await collect(pipeline, "What is the capital of France?")
    assert not any(isinstance(e, EscalationStarted) for e in events)
    decision = route_chosen(events).decision
    assert decision.escalate_to is None
    assert "no remote reachable" in decision.reason


async def test_keep_local_turn_never_escalates(tmp_path: Path) -> None:
    from router.privacy.detectors.registry import default_detectors
    from router.privacy.rules import PrivacyRule, build_rules
    from router.privacy.scan import Scanner

    local = scoring_local([scored("unsure", -3.0, 5.0)])
    pipeline, cloud = _pipeline(tmp_path, local)
    rule = PrivacyRule(name="codename", keywords=["bluebird"], action="keep_local", reason="x")
    pipeline.scanner = Scanner(rules=build_rules([rule]), detectors=default_detectors(ner=False))
    events = await collect(pipeline, "what's the status of bluebird?")
    assert not any(isinstance(e, EscalationStarted) for e in events)
    assert cloud.requests == []
    assert route_chosen(events).decision.endpoint == "local"


async def test_cascade_without_a_scoring_device_model_streams_plainly(tmp_path: Path) -> None:
    eps = endpoints()
    pipeline = make_pipeline(tmp_path, endpoints=eps, policy=CascadePolicy(threshold=0.6))
    events = await collect(pipeline, "what is a monad?")
    decision = route_chosen(events).decision
    assert decision.endpoint == "local" and decision.escalate_to is None
    assert "cannot score its answers" in decision.reason
    assert streamed_text(events) == "local: what is a monad?"
    assert eps["claude"].requests == []
