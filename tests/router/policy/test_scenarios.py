"""Routing decisions for a table of scenarios, at the policy level and through the pipeline."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from router.endpoints.function import FunctionEndpoint
from router.policy.budget import BudgetPolicy, load_planner
from router.policy.estimate import Weights
from router.policy.factory import cascade_threshold, policy_for
from router.policy.features import BudgetLimits, Budgets
from router.policy.learned import LearnedPolicy, load_quality_model
from router.policy.settings import RoutingSettings
from router.privacy.detectors.registry import default_detectors
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.turn.pipeline import TurnPipeline
from router.turn.route import enforce_privacy
from router.types import Attachment, GenerationOptions, Message, PrivacyReport, RouteDecision
from tests.router.policy.helpers import (
    HARD_QUESTION,
    all_policies,
    endpoints,
    features_for,
    keep_local_report,
    priced_endpoint,
    request,
)
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen

POLICIES = ("local", "prefer_remote", "rules", "learned", "budget", "cascade")


def _decide(name: str, text: str, **kw: object) -> RouteDecision:
    eps = endpoints(cloud_up=bool(kw.pop("cloud_up", True)))
    req = request(text)
    report = kw.pop("report", None) or PrivacyReport()
    feats = features_for(req, eps, report=report, **kw)  # type: ignore[arg-type]
    return all_policies()[name].decide(feats)


@pytest.mark.parametrize("name", POLICIES)
def test_keep_local_data_stays_local_under_every_policy(name: str, tmp_path: Path) -> None:
    # Policies never see the verdict; the pipeline's enforcement keeps the turn local.
    eps, req, report = endpoints(), request(HARD_QUESTION), keep_local_report()
    proposed = all_policies()[name].decide(features_for(req, eps, report=report))
    decision = enforce_privacy(req, report, proposed, eps)
    assert decision.endpoint == "local"
    assert decision.escalate_to is None
    assert "kept local" in decision.reason
    assert decision.privacy_action == "keep_local"


@pytest.mark.parametrize("name", ["prefer_remote", "learned", "budget", "cascade", "rules"])
def test_offline_routes_local_and_says_why(name: str) -> None:
    text = "Prove rigorously that the integral of x^2 e^-x from 0 to infinity is 2."
    decision = _decide(name, text, cloud_up=False)
    assert decision.endpoint == "local"
    assert decision.escalate_to is None
    assert any(w in decision.reason for w in ("unreachable", "no remote", "no endpoint"))


@pytest.mark.parametrize("name", ["learned", "budget", "rules"])
def test_online_hard_turn_goes_to_the_cloud_with_estimates(name: str) -> None:
    # "rules" falls back to learned: this maths turn matches no rule.
    text = "Prove rigorously that the integral of x^2 e^-x from 0 to infinity is 2, step by step."
    decision = _decide(name, text, budgets=Budgets(day_usd=5.0))
    assert decision.endpoint == "claude"
    assert decision.expected_quality is not None and decision.expected_quality > 0.5
    assert decision.expected_cost_usd is not None and decision.expected_cost_usd > 0
    assert decision.expected_latency_s is not None and decision.reason


def test_easy_chat_stays_on_the_device_under_learned() -> None:
    decision = _decide("learned", "hi, how are you?")
    assert decision.endpoint == "local"
    assert decision.expected_cost_usd == 0.0


def test_budget_exhausted_routes_local() -> None:
    decision = _decide("budget", HARD_QUESTION, budgets=Budgets(conversation_usd=0.0))
    assert decision.endpoint == "local"
    assert "budget exhausted" in decision.reason


def test_budget_too_small_for_the_cloud_routes_local() -> None:
    # $0.001 left: far below one cloud call (~$0.005).
    decision = _decide("budget", HARD_QUESTION, budgets=Budgets(conversation_usd=0.001))
    assert decision.endpoint == "local"
    assert "$0.001 left in this conversation: local" in decision.reason
    assert "claude (quality" in decision.reason and "does not fit what is left" in decision.reason


def test_cascade_names_its_escalation_target_and_threshold() -> None:
    decision = _decide("cascade", "what is a monad?")
    assert (decision.endpoint, decision.escalate_to) == ("local", "claude")
    threshold, source = cascade_threshold(RoutingSettings(policy="cascade"))
    assert decision.confidence_threshold == threshold
    assert f"({source} threshold)" in decision.reason


def _views() -> list[Attachment]:
    return [
        Attachment(name="front_view.jpg", mime_type="image/jpeg", size_bytes=400_000),
        Attachment(name="rear_bumper_closeup.jpg", mime_type="image/jpeg", size_bytes=380_000),
        Attachment(name="left_side_view.jpg", mime_type="image/jpeg", size_bytes=410_000),
    ]


def test_image_turn_with_three_views_sends_the_relevant_subset() -> None:
    eps = endpoints()
    req = request("Is there a scratch on the rear bumper?", _views())
    decision = all_policies()["learned"].decide(features_for(req, eps))
    assert decision.endpoint == "claude"
    assert decision.attachments_sent == ("rear_bumper_closeup.jpg",)
    assert "sent 1 of 3 attachments" in decision.reason


def _constant_quality(tmp_path: Path, local: float, cloud: float) -> LearnedPolicy:
    """A learned policy whose (test) artifact gives every turn the same qualities."""
    logit = lambda q: math.log(q / (1 - q))  # noqa: E731
    artifact = tmp_path / "router.json"
    artifact.write_text(
        json.dumps(
            {
                "format": "tandem.linear-router",
                "version": 1,
                "models": {
                    "kind:local": {"bias": logit(local)},
                    "kind:cloud": {"bias": logit(cloud)},
                },
            }
        )
    )
    return LearnedPolicy(load_quality_model(artifact))


def _history(answer_words: int) -> list[Message]:
    """A hard question and its answer, `answer_words` words long (~1.5 tokens a word)."""
    return [
        Message(role="user", content=HARD_QUESTION),
        Message(role="assistant", content="step " * answer_words),
    ]


def test_follow_up_keeps_the_endpoint_when_switching_costs_more_than_it_saves(
    tmp_path: Path,
) -> None:
    # The device answered the hard question; the cloud would answer "do it" a little
    # better (0.75 vs 0.60), but it would have to be sent the whole conversation first.
    policy = _constant_quality(tmp_path, local=0.60, cloud=0.75)
    eps = endpoints()
    req = request("do it")
    feats = features_for(req, eps, history=_history(2400), previous="local")
    assert feats.followup and feats.history_tokens > 2000
    decision = policy.decide(feats)
    assert decision.endpoint == "local"
    assert "stayed on local: switching to claude would resend" in decision.reason


def test_follow_up_switches_when_the_gain_outweighs_the_context_to_resend(
    tmp_path: Path,
) -> None:
    policy = _constant_quality(tmp_path, local=0.60, cloud=0.75)
    eps = endpoints()
    req = request("do it")
    feats = features_for(req, eps, history=_history(20), previous="local")
    decision = policy.decide(feats)
    assert decision.endpoint == "claude"
    assert "stayed" not in decision.reason


def test_without_stickiness_the_cached_context_earns_no_credit(tmp_path: Path) -> None:
    policy = _constant_quality(tmp_path, local=0.60, cloud=0.75)
    policy.sticky = False
    eps = endpoints()
    req = request("do it")
    # With no cache credit both pay for the history; the cloud's costs money, so it still
    # loses here, but for its money, not as a stay.
    feats = features_for(req, eps, history=_history(2400), previous="local")
    decision = policy.decide(feats)
    assert decision.endpoint == "local"
    assert "stayed" not in decision.reason


# --- through the pipeline -------------------------------------------------------------


def _pipeline(
    tmp_path: Path, eps: dict[str, FunctionEndpoint], policy: object, **kw: object
) -> TurnPipeline:
    allow_images = PrivacyRule(name="photos ok", types=["IMAGE"], action="allow", reason="test")
    return make_pipeline(
        tmp_path,
        endpoints=eps,
        policy=policy,
        scanner=Scanner(rules=build_rules([allow_images]), detectors=default_detectors(ner=False)),
        **kw,
    )


async def test_pipeline_sends_only_the_chosen_attachments(tmp_path: Path) -> None:
    eps = endpoints()
    pipeline = _pipeline(tmp_path, eps, policy_for("learned"))
    events = await collect(pipeline, request("Is there a scratch on the rear bumper?", _views()))
    assert route_chosen(events).decision.endpoint == "claude"
    [sent] = eps["claude"].requests
    # The chosen one, named as it left: file names are scanned, and the strict name-like
    # detector takes "closeup" (not in its vocabulary) for a name.
    assert [a.name for a in sent[-1].attachments] == ["rear_bumper_[NAME_LIKE_1].jpg"]
    # The ledger keeps every attachment the user gave.
    [turn] = pipeline.ledger.turns("s1")
    assert len(turn.attachments) == 3


async def test_pipeline_budget_runs_out_after_spending_it(tmp_path: Path) -> None:
    eps = endpoints()
    # The first call is estimated within the conversation's $0.03 (~700 tokens at $20 per
    # million); its answer runs far past the 300 tokens the estimate assumes and spends it out.
    eps["claude"] = priced_endpoint(
        "claude", "cloud", price_in=2e-5, price_out=2e-5, answer="step " * 3000
    )
    limits = BudgetLimits(per_conversation_usd=0.03)
    policy = BudgetPolicy(load_quality_model(), load_planner(), Weights(), False, limits)
    long_answers = GenerationOptions(max_tokens=4000)
    pipeline = _pipeline(tmp_path, eps, policy, budget_limits=limits, generation=long_answers)
    first = await collect(pipeline, request(HARD_QUESTION))
    assert route_chosen(first).decision.endpoint == "claude"
    assert pipeline.ledger.spend_usd(session_id="s1") > 0.03
    second = await collect(pipeline, request(HARD_QUESTION))
    decision = route_chosen(second).decision
    assert decision.endpoint == "local"
    assert "of $0.03 left in this conversation (budget exhausted)" in decision.reason
    finished(second)


class _RoguePolicy:
    """Ignores privacy: always picks the cloud."""

    name = "rogue"

    def decide(self, features):  # type: ignore[no-untyped-def]
        return RouteDecision(endpoint="claude", endpoint_kind="cloud", policy="rogue", reason="x")


async def test_pipeline_overrides_a_policy_that_ignores_keep_local(tmp_path: Path) -> None:
    eps = endpoints()
    secret = PrivacyRule(
        name="project", keywords=["bluebird"], action="keep_local", reason="codename"
    )
    pipeline = make_pipeline(
        tmp_path,
        endpoints=eps,
        policy=_RoguePolicy(),
        scanner=Scanner(rules=build_rules([secret]), detectors=default_detectors(ner=False)),
    )
    events = await collect(pipeline, request("status of project bluebird?"))
    decision = route_chosen(events).decision
    assert decision.endpoint == "local" and "kept local" in decision.reason
    assert eps["claude"].requests == []


async def test_pipeline_feeds_measured_latency_and_previous_endpoint(tmp_path: Path) -> None:
    eps = endpoints(cloud_up=False)
    pipeline = _pipeline(tmp_path, eps, policy_for("learned"))
    await collect(pipeline, request("hello"))
    assert pipeline.latency.latency_s("local") is not None
    feats = pipeline.features(request("again"), PrivacyReport(), pipeline.ledger.history("s1"))
    assert feats.previous_endpoint == "local"
    assert feats.endpoints["local"].latency_s == pipeline.latency.latency_s("local")


def test_settings_build_every_policy() -> None:
    for name in POLICIES:
        assert policy_for(name, RoutingSettings(policy="local")).name == name
