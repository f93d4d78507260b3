"""The policy registry: one builder per `[routing] policy` name."""

from pathlib import Path
from typing import get_args

import pytest

from router.errors import TandemError
from router.ledger.store import Ledger
from router.policy import factory
from router.policy.factory import POLICY_BUILDERS, POLICY_NAMES, build_policy, policy_for
from router.policy.learned import QualityModel, load_quality_model
from router.policy.rules import RulesPolicy
from router.policy.settings import RoutingSettings
from router.policy.user_ratings import RatedPolicy


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


@pytest.mark.parametrize("name", ["learned", "budget", "rules"])
def test_a_rated_policy_reads_its_quality_model_once(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rated policy and the same policy on the model as loaded share one read of it.
    reads: list[object] = []

    def counting_load(*args: object) -> QualityModel:
        reads.append(args)
        return load_quality_model(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(factory, "load_quality_model", counting_load)
    routing = RoutingSettings(policy="local", rules_fallback="learned")
    policy = policy_for(name, routing, Ledger(tmp_path / "ledger.db"))
    assert isinstance(policy, RatedPolicy)
    assert len(reads) == 1
