"""The policy registry: one builder per `[routing] policy` name."""

from typing import get_args

import pytest

from router.errors import TandemError
from router.policy.factory import POLICY_BUILDERS, POLICY_NAMES, build_policy, policy_for
from router.policy.rules import RulesPolicy
from router.policy.settings import RoutingSettings


def test_every_configurable_policy_has_a_builder() -> None:
    configurable = get_args(RoutingSettings.model_fields["policy"].annotation)
    assert set(POLICY_BUILDERS) == set(configurable)
    assert tuple(POLICY_BUILDERS) == POLICY_NAMES


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_build_policy_builds_the_named_policy(name: str) -> None:
    assert build_policy(RoutingSettings(policy=name)).name == name  # type: ignore[arg-type]


def test_rules_fall_back_to_the_configured_policy() -> None:
    policy = policy_for("rules", RoutingSettings(policy="local", rules_fallback="prefer_remote"))
    assert isinstance(policy, RulesPolicy)
    assert policy.fallback.name == "prefer_remote"


def test_an_unknown_policy_says_which_to_use() -> None:
    with pytest.raises(TandemError, match="unknown routing policy 'fastest'") as info:
        policy_for("fastest")
    assert "cascade" in str(info.value.hint)
