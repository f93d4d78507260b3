"""The runtime builds the configured policy and its budgets from settings."""

from __future__ import annotations

import pytest

from router.endpoints.fake import FakeEndpoint
from router.errors import ConfigError
from router.paths import TandemPaths
from router.policy.budget import BudgetPolicy
from router.policy.routing_rule import RoutingRule
from router.policy.settings import RoutingSettings
from router.policy.user_ratings import RatedPolicy
from router.runtime.compose import build_runtime
from router.settings.config import load_settings


def _endpoints() -> dict[str, FakeEndpoint]:
    return {
        "local": FakeEndpoint(name="local", kind="local"),
        "claude": FakeEndpoint(name="claude", kind="cloud"),
    }


def test_budget_policy_and_limits_come_from_the_config(tandem_home: TandemPaths) -> None:
    routing = RoutingSettings(
        policy="budget", budget_per_day_usd=1.5, latency_target_s=12.0, cascade_samples=3
    )
    settings = load_settings(tandem_home).model_copy(update={"routing": routing})
    runtime = build_runtime(tandem_home, settings, endpoints=_endpoints())
    try:
        policy = runtime.pipeline.policy
        # The runtime's policy learns from the ratings in its ledger (user_ratings.py).
        assert isinstance(policy, RatedPolicy) and isinstance(policy.corrected, BudgetPolicy)
        assert runtime.pipeline.budget_limits.per_day_usd == 1.5
        assert runtime.pipeline.budget_limits.latency_target_s == 12.0
        assert runtime.pipeline.cascade_samples == 3
        assert runtime.pipeline.embedder is not None  # its trained router reads embeddings
    finally:
        runtime.ledger.close()


def test_routing_that_names_an_unknown_endpoint_fails_at_start(tandem_home: TandemPaths) -> None:
    routing = RoutingSettings(policy="rules", rules=[RoutingRule(task=("code",), action="gpt")])
    settings = load_settings(tandem_home).model_copy(update={"routing": routing})
    with pytest.raises(ConfigError) as caught:
        build_runtime(tandem_home, settings, endpoints=_endpoints())
    assert "'gpt'" in caught.value.message and "claude" in (caught.value.hint or "")


def test_shipped_config_parses_with_the_routing_examples(tandem_home: TandemPaths) -> None:
    settings = load_settings(tandem_home)
    assert settings.routing.policy == "local" and settings.routing.rules == []
    assert settings.routing.cascade_threshold is None  # the fitted threshold, else the prior


def test_closing_goes_on_past_an_endpoint_bound_to_an_ended_loop(
    tandem_home: TandemPaths,
) -> None:
    """The GUI closes the runtime from a new loop after Flet's has ended."""
    import asyncio
    import sqlite3

    class BoundToAnEndedLoop(FakeEndpoint):
        async def aclose(self) -> None:
            raise RuntimeError("Event loop is closed")

    endpoints = {"local": FakeEndpoint(name="local"), "claude": BoundToAnEndedLoop(name="claude")}
    runtime = build_runtime(tandem_home, endpoints=endpoints)
    asyncio.run(runtime.aclose())
    with pytest.raises(sqlite3.ProgrammingError):  # the ledger was still closed
        runtime.ledger.history("s1")
