"""The chat's `budget` policy decides with the trained M4A1 planner over the budgets left."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from router.errors import TandemError
from router.learn.budget_artifact import save_policy
from router.learn.budget_policy import DEFAULT_POLICY
from router.learn.budget_rl import load_policy
from router.policy.budget import BudgetPolicy, load_planner
from router.policy.factory import limits_of, policy_for
from router.policy.features import Budgets, TurnFeatures
from router.policy.settings import RoutingSettings
from router.privacy.detectors.registry import default_detectors
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.types import Message, RouteDecision
from tests.router.policy.helpers import (
    HAND_SET_QUALITY,
    HARD_QUESTION,
    endpoints,
    features_for,
    request,
)
from tests.support.pipeline import collect, make_pipeline, route_chosen

EASY_QUESTION = "hi, how are you?"


def _budget_policy(**settings: float) -> BudgetPolicy:
    # The hand-set quality model: these tests are about the planner's mechanics and
    # must not move when the shipped quality model is refitted.
    routing = RoutingSettings(
        policy="budget",
        learned_artifact=str(HAND_SET_QUALITY),
        **settings,  # type: ignore[arg-type]
    )
    policy = policy_for("budget", routing)
    assert isinstance(policy, BudgetPolicy)
    return policy


def test_the_chat_policy_loads_the_trained_planner() -> None:
    policy = _budget_policy()
    assert policy.planner.plan is not None
    assert policy.planner.meta["format"] == "tandem.learn.budget-policy"
    assert "trained on" in str(policy.planner.meta["note"])


def test_plenty_of_money_sends_a_hard_prompt_to_the_cloud_little_keeps_it_on_the_device() -> None:
    policy = _budget_policy(budget_per_conversation_usd=0.05)
    eps = endpoints()
    plenty = policy.decide(features_for(request(HARD_QUESTION), eps, budgets=Budgets(
        conversation_usd=0.05)))  # fmt: skip
    little = policy.decide(features_for(request(HARD_QUESTION), eps, budgets=Budgets(
        conversation_usd=0.003)))  # fmt: skip
    assert plenty.endpoint == "claude"
    assert little.endpoint == "local"
    # The reason names what the planner weighed.
    assert "$0.050 of $0.05 left in this conversation" in plenty.reason
    assert "$0.003 of $0.05 left in this conversation" in little.reason
    assert little.reason.split(": ")[1].startswith("local")


@pytest.mark.parametrize("left", [0.0, -0.02])
@pytest.mark.parametrize("text", [HARD_QUESTION, EASY_QUESTION, "Prove the theorem step by step."])
def test_with_the_days_budget_spent_no_paid_endpoint_is_picked(left: float, text: str) -> None:
    policy = _budget_policy(budget_per_day_usd=1.0)
    eps = endpoints(edge=True)  # a free edge box may still answer
    feats = features_for(request(text), eps, budgets=Budgets(day_usd=left, conversation_usd=0.5))
    decision = policy.decide(feats)
    assert decision.endpoint in ("local", "edge")
    assert decision.expected_cost_usd == 0.0
    assert "of $1.00 left today (budget exhausted)" in decision.reason


def test_the_days_budget_binds_when_it_is_the_smaller() -> None:
    policy = _budget_policy(budget_per_day_usd=0.05, budget_per_conversation_usd=1.0)
    feats = features_for(
        request(HARD_QUESTION), endpoints(), budgets=Budgets(day_usd=0.012, conversation_usd=0.9)
    )
    assert "$0.012 of $0.05 left today" in policy.decide(feats).reason


def _measured(feats: TurnFeatures, **latency_s: float) -> TurnFeatures:
    """`feats` with each named endpoint's measured whole-answer latency."""
    states = {
        name: dataclasses.replace(state, latency_s=latency_s.get(name, state.latency_s))
        for name, state in feats.endpoints.items()
    }
    return dataclasses.replace(feats, endpoints=states)


def test_too_few_seconds_for_the_turns_to_come_keep_a_slow_cloud_away() -> None:
    # The cloud takes 12 s a turn here, the device 2 s. With 90 s the cloud answers the hard
    # prompt; with 30 s it would fit this turn too, but the planner keeps time for the turns
    # still to come.
    policy = _budget_policy(budget_per_conversation_usd=0.05, budget_per_conversation_s=90.0)
    eps = endpoints()

    def decide(seconds: float) -> RouteDecision:
        budgets = Budgets(conversation_usd=0.05, conversation_s=seconds)
        feats = features_for(request(HARD_QUESTION), eps, budgets=budgets)
        return policy.decide(_measured(feats, local=2.0, claude=12.0))

    roomy, tight = decide(90.0), decide(30.0)
    assert roomy.endpoint == "claude"
    assert tight.endpoint == "local"
    assert "30 s of 90 s left in this conversation" in tight.reason
    assert "claude (quality" in tight.reason and "plans lower" in tight.reason


def test_a_per_answer_target_gives_the_turns_still_expected_that_many_seconds() -> None:
    policy = _budget_policy(budget_per_conversation_usd=0.05, latency_target_s=20.0)
    budgets = Budgets(conversation_usd=0.05, latency_target_s=20.0)
    first = policy.decide(features_for(request(EASY_QUESTION), endpoints(), budgets=budgets))
    history = [Message(role="user", content="hi"), Message(role="assistant", content="hello")] * 4
    fifth = policy.decide(
        features_for(request(EASY_QUESTION), endpoints(), budgets=budgets, history=history)
    )
    # M4A1's conversations hold 3.5 turns from the first on, 1 from the fifth.
    assert "70 s for ~3.5 turns at 20 s" in first.reason
    assert "20 s for ~1 turn at 20 s" in fifth.reason


def test_without_a_money_budget_it_ranks_like_learned() -> None:
    policy = _budget_policy()
    decision = policy.decide(features_for(request(EASY_QUESTION), endpoints()))
    assert decision.endpoint == "local" and "no money budget set" in decision.reason


async def test_keep_local_still_wins_over_a_generous_budget(tmp_path: Path) -> None:
    eps = endpoints()
    secret = PrivacyRule(name="project", keywords=["bluebird"], action="keep_local", reason="x")
    settings = RoutingSettings(policy="budget", budget_per_conversation_usd=5.0)
    pipeline = make_pipeline(
        tmp_path,
        endpoints=eps,
        policy=policy_for("budget", settings),
        budget_limits=limits_of(settings),
        scanner=Scanner(rules=build_rules([secret]), detectors=default_detectors(ner=False)),
    )
    text = HARD_QUESTION.replace("Find", "For project bluebird, find")
    decision = route_chosen(await collect(pipeline, request(text))).decision
    assert decision.endpoint == "local" and "kept local" in decision.reason
    assert eps["claude"].requests == []


async def test_the_conversations_seconds_left_come_from_the_ledger(tmp_path: Path) -> None:
    settings = RoutingSettings(policy="budget", budget_per_conversation_s=30.0)
    limits = limits_of(settings)
    assert limits.per_conversation_s == 30.0
    pipeline = make_pipeline(tmp_path, endpoints=endpoints(cloud_up=False), budget_limits=limits)
    await collect(pipeline, request("hello"))
    await collect(pipeline, request("again"))
    spent = sum(t.usage.latency_s for t in pipeline.ledger.turns("s1") if t.usage)
    left = limits.remaining(pipeline.ledger, "s1").conversation_s
    assert spent > 0 and left == pytest.approx(30.0 - spent)
    assert limits.remaining(None, "s1").conversation_s == 30.0


# --- the planner file -----------------------------------------------------------------


def _check_clear(path: Path, words: str) -> None:
    settings = RoutingSettings(policy="budget", budget_artifact=str(path))
    with pytest.raises(TandemError) as caught:
        policy_for("budget", settings)
    assert words in caught.value.message and str(path) in caught.value.message
    assert "budget_artifact" in (caught.value.hint or "")


def test_a_missing_planner_is_a_clear_error(tmp_path: Path) -> None:
    _check_clear(tmp_path / "nowhere.npz", "does not exist")


@pytest.mark.parametrize(
    "content",
    [b"not a zip at all", DEFAULT_POLICY.read_bytes()[:4000], b'{"format": "x"}'],
    ids=["garbage", "truncated", "json"],
)
def test_a_corrupt_planner_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "planner.npz"
    path.write_bytes(content)
    _check_clear(path, "is not readable")


def test_a_planner_of_another_format_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(b'{"format": "other", "version": 1}', dtype=np.uint8))
    path.write_bytes(buffer.getvalue())
    _check_clear(path, "is not readable")
    assert zipfile.is_zipfile(path)


def test_a_planner_without_a_plan_is_a_clear_error(tmp_path: Path) -> None:
    planner = load_policy()
    planner.plan = None  # a version-1 file: weights alone, no value tables
    path = save_policy(planner, tmp_path / "v1.npz")
    _check_clear(path, "has no plan")


def test_load_planner_reads_the_shipped_default() -> None:
    assert load_planner().plan is not None
