"""Measured speed and the packed handoff feed the policies' estimates.

- the rolling round trip (time to first token) and throughput from real turns
  replace the per-kind priors in the latency estimate, and can change a route;
- the switching cost counts the context the handoff packer would send, not
  the raw history.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from router.context.settings import ContextSettings
from router.context.stage import ContextStage
from router.context.turns import HistoryTurn, ScoredTurn
from router.ledger.database import MEMORY
from router.ledger.store import Ledger
from router.policy.estimate import Weights, estimate, expected_latency_s
from router.policy.features import Budgets, LatencyTracker, TurnFeatures, compute_features
from router.policy.learned import LearnedPolicy, load_quality_model
from router.types import Message, PrivacyReport, RouteDecision, Usage
from tests.router.policy.helpers import endpoints, features_for, request
from tests.support.pipeline import make_pipeline

SLOW_CLOUD = Usage(input_tokens=50, output_tokens=201, ttft_s=30.0, latency_s=70.0)
"""30 s to the first token, then 200 tokens in 40 s: 5 tokens a second."""


def _record(
    ledger: Ledger, endpoint: str, usage: Usage, answer: str = "x", sid: str = "s1"
) -> None:
    kind = "local" if endpoint == "local" else "cloud"
    route = RouteDecision(endpoint=endpoint, endpoint_kind=kind, policy="p", reason="r")
    ledger.ensure_session(sid)
    turn = ledger.begin_turn(sid, "question " * 200)
    ledger.finish_turn(turn.id, status="complete", answer=answer, route=route, usage=usage)


def _constant_quality(tmp_path: Path, local: float, cloud: float) -> LearnedPolicy:
    """A learned policy whose test artifact gives every turn the same qualities."""
    logit = lambda q: math.log(q / (1 - q))  # noqa: E731
    models = {"kind:local": {"bias": logit(local)}, "kind:cloud": {"bias": logit(cloud)}}
    artifact = tmp_path / "router.json"
    artifact.write_text(
        json.dumps({"format": "tandem.linear-router", "version": 1, "models": models})
    )
    return LearnedPolicy(load_quality_model(artifact))


# --- measured round trip and throughput ----------------------------------------------


def test_the_rolling_round_trip_and_throughput_replace_the_priors() -> None:
    tracker = LatencyTracker(alpha=0.5)
    eps = endpoints()
    before = compute_features(request("hi"), PrivacyReport(), [], eps, tracker=tracker)
    prior = expected_latency_s(before.endpoints["claude"], 10)
    tracker.observe("claude", SLOW_CLOUD)
    slow = compute_features(request("hi"), PrivacyReport(), [], eps, tracker=tracker)
    state = slow.endpoints["claude"]
    assert state.ttft_s == pytest.approx(30.0) and state.tokens_per_s == pytest.approx(5.0)
    # The answer's length at the measured throughput, not the last answer's duration.
    assert expected_latency_s(state, 10, out_tokens=300) == pytest.approx(30.0 + 300 / 5.0)
    assert expected_latency_s(state, 10, out_tokens=300) > prior
    tracker.observe("claude", Usage(output_tokens=101, ttft_s=2.0, latency_s=4.0))  # 50 tok/s
    faster = compute_features(request("hi"), PrivacyReport(), [], eps, tracker=tracker)
    rolled = faster.endpoints["claude"]
    assert rolled.ttft_s == pytest.approx(16.0) and rolled.tokens_per_s == pytest.approx(27.5)
    assert expected_latency_s(rolled, 10) < expected_latency_s(state, 10)


def test_recorded_slow_turns_move_the_route_to_the_device(tmp_path: Path) -> None:
    policy = _constant_quality(tmp_path, local=0.55, cloud=0.75)
    eps = endpoints()
    target = Budgets(latency_target_s=10.0)
    tracker = LatencyTracker()
    fresh = compute_features(
        request("hi"), PrivacyReport(), [], eps, tracker=tracker, budgets=target
    )
    assert policy.decide(fresh).endpoint == "claude"  # the cloud's prior speed is fine
    ledger = Ledger(MEMORY)
    for _ in range(3):
        _record(ledger, "claude", SLOW_CLOUD)
    tracker.seed(ledger)  # what a restart does; the pipeline also observes each turn
    measured = compute_features(
        request("hi"), PrivacyReport(), [], eps, tracker=tracker, budgets=target
    )
    decision = policy.decide(measured)
    assert decision.endpoint == "local"
    assert decision.expected_latency_s is not None
    cloud = estimate(measured.endpoints["claude"], 0.75, measured, Weights())
    assert cloud.latency_s == pytest.approx(30.0 + 300 / 5.0)


# --- switching cost from the packed handoff ------------------------------------------


def _long_history(turns: int, words: int) -> list[Message]:
    out: list[Message] = []
    for i in range(turns):
        out.append(Message(role="user", content=f"part {i}: go on"))
        out.append(Message(role="assistant", content="step " * words))
    return out


def _with_handoff(feats: TurnFeatures, **tokens: int) -> TurnFeatures:
    states = {n: replace(s, handoff_tokens=tokens.get(n)) for n, s in feats.endpoints.items()}
    return replace(feats, endpoints=states)


def test_switching_cost_counts_the_packed_handoff_not_the_raw_history(tmp_path: Path) -> None:
    policy = _constant_quality(tmp_path, local=0.3, cloud=0.9)
    feats = features_for(
        request("do it"), endpoints(), history=_long_history(12, 800), previous="local"
    )
    assert feats.history_tokens > 10_000
    raw = policy.decide(feats)
    assert raw.endpoint == "local"
    assert f"would resend {feats.history_tokens} context tokens" in raw.reason
    packed = policy.decide(_with_handoff(feats, claude=3_000, local=3_000))
    assert packed.endpoint == "claude" and "stayed" not in packed.reason


class _NoRetrieval:
    """A retriever that finds nothing relevant: only the recent turns are packed."""

    def rank(self, query: str, candidates: list[HistoryTurn]) -> list[ScoredTurn]:
        return []


def test_the_pipeline_prices_a_switch_by_what_the_packer_would_send(tmp_path: Path) -> None:
    ledger = Ledger(MEMORY)
    for _ in range(12):
        _record(ledger, "local", Usage(output_tokens=5, latency_s=1.0), answer="step " * 800)
    stage = ContextStage(
        ContextSettings(remote_prompt_tokens=4_000), retriever_for=lambda _sid: _NoRetrieval()
    )
    pipeline = make_pipeline(
        ledger=ledger,
        endpoints=endpoints(),
        policy=_constant_quality(tmp_path, local=0.3, cloud=0.9),
        context=stage,
    )
    req = request("do it")
    history = ledger.history(req.session_id)
    feats = pipeline.features(req, PrivacyReport(), history)
    claude = feats.endpoints["claude"]
    assert feats.history_tokens > 10_000
    assert claude.handoff_tokens is not None and 0 < claude.handoff_tokens <= 4_000
    decision = pipeline.route(req, PrivacyReport(), history)
    assert decision.endpoint == "claude", decision.reason
