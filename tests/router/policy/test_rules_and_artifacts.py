"""User routing rules, and loading the learned artifact (the budget planner: elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.errors import TandemError
from router.policy.factory import policy_for
from router.policy.learned import DEFAULT_LEARNED, load_quality_model
from router.policy.routing_rule import RoutingRule
from router.policy.rules import RulesPolicy
from router.policy.settings import RoutingSettings
from router.types import Attachment
from tests.router.policy.helpers import all_policies, endpoints, features_for, request

PHOTO = Attachment(name="garden.jpg", mime_type="image/jpeg", size_bytes=200_000)


@pytest.mark.parametrize(
    ("text", "attachments", "endpoint", "rule"),
    [
        ("Refactor this Python function to use a generator", (), "local", "code stays local"),
        ("What is in this picture?", (PHOTO,), "claude", "images go to the cloud"),
        (
            "Wie ist das Wetter heute und was ist das beste Rezept für Kuchen?",
            (),
            "claude",
            "german to claude",
        ),
    ],
)
def test_first_matching_rule_decides(
    text: str, attachments: tuple[Attachment, ...], endpoint: str, rule: str
) -> None:
    eps = endpoints()
    req = request(text, attachments)
    decision = all_policies()["rules"].decide(features_for(req, eps))
    assert decision.endpoint == endpoint
    assert f"rule '{rule}'" in decision.reason
    assert decision.expected_cost_usd is not None and decision.expected_quality is not None


def test_unmatched_turn_goes_to_the_fallback() -> None:
    eps = endpoints()
    req = request("hello, how are you?")
    decision = all_policies()["rules"].decide(features_for(req, eps))
    assert decision.policy == "rules" and decision.reason.startswith("no rule matched")
    assert decision.endpoint == "local"  # the learned fallback keeps easy chat local


def test_rule_whose_target_is_down_falls_through() -> None:
    eps = endpoints(cloud_up=False)
    req = request("What is in this picture?", (PHOTO,))
    decision = all_policies()["rules"].decide(features_for(req, eps))
    assert decision.endpoint == "local"
    assert "images go to the cloud -> remote unavailable" in decision.reason


def test_rule_conditions_combine() -> None:
    rule = RoutingRule(task=("chat",), max_chars=20, session="s2", action="local")
    eps = endpoints()
    short = features_for(request("hi there", sid="s2"), eps)
    assert rule.matches(short)
    assert not rule.matches(features_for(request("hi there", sid="s1"), eps))
    assert not rule.matches(features_for(request("hi there, " * 5, sid="s2"), eps))


def test_rules_load_from_settings() -> None:
    settings = RoutingSettings.model_validate(
        {"policy": "rules", "rules": [{"task": ["code"], "action": "local"}]}
    )
    policy = policy_for("rules", settings)
    assert isinstance(policy, RulesPolicy) and policy.rules[0].task == ("code",)
    with pytest.raises(ValueError):
        RoutingSettings.model_validate(
            {"policy": "rules", "rules": [{"tsk": ["code"], "action": "x"}]}
        )


def test_shipped_artifacts_load_and_say_whether_they_are_trained() -> None:
    model = load_quality_model()
    assert model.trained and {"kind:local", "kind:cloud", "kind:edge"} <= set(model.models)
    shipped = json.loads(DEFAULT_LEARNED.read_text())
    assert shipped["command"].startswith("tandem router fit-quality --profile ")
    assert shipped["data"]["records"] > 0 and shipped["held_out"]["local"]["auroc"] is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "not readable JSON"),
        ('{"format": "other", "version": 1, "models": {}}', "malformed"),
        ('{"format": "tandem.linear-router", "version": 1, "models": {"x": {}}}', "malformed"),
    ],
)
def test_bad_learned_artifact_is_a_clear_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "router.json"
    if content is not None:
        path.write_text(content)
    settings = RoutingSettings(policy="learned", learned_artifact=str(path))
    with pytest.raises(TandemError) as caught:
        policy_for("learned", settings)
    assert message in caught.value.message and str(path) in caught.value.message
    assert "learned_artifact" in (caught.value.hint or "")


def test_a_custom_artifact_changes_the_decision(tmp_path: Path) -> None:
    # An artifact that thinks the device is excellent at everything keeps hard turns local.
    path = tmp_path / "router.json"
    path.write_text(
        json.dumps(
            {
                "format": "tandem.linear-router",
                "version": 1,
                "models": {"kind:local": {"bias": 6.0}, "kind:cloud": {"bias": 0.0}},
            }
        )
    )
    eps = endpoints()
    req = request("Prove the theorem rigorously, step by step.")
    feats = features_for(req, eps)
    default = policy_for("learned").decide(feats)
    custom = policy_for("learned", RoutingSettings(policy="learned", learned_artifact=str(path)))
    assert default.endpoint == "claude"
    assert custom.decide(feats).endpoint == "local"
