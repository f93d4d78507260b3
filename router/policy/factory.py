"""Builds the configured routing policy from `[routing]` settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from router.errors import TandemError
from router.policy.budget import BudgetPolicy, load_pacing
from router.policy.cascade import CascadePolicy
from router.policy.decide import LocalOnlyPolicy, Policy, PreferRemotePolicy
from router.policy.estimate import Weights
from router.policy.features import BudgetLimits
from router.policy.learned import LearnedPolicy, load_quality_model
from router.policy.rules import RulesPolicy
from router.settings.config import RoutingSettings

if TYPE_CHECKING:
    from router.ledger.store import Ledger


def weights_of(settings: RoutingSettings) -> Weights:
    """The quality/money/time trade-off the settings ask for."""
    return Weights(
        willingness_to_pay_usd=settings.willingness_to_pay_usd,
        latency_weight=settings.latency_weight,
    )


def limits_of(settings: RoutingSettings) -> BudgetLimits:
    """The money budgets and latency target the settings set."""
    return BudgetLimits(
        per_day_usd=settings.budget_per_day_usd,
        per_month_usd=settings.budget_per_month_usd,
        per_conversation_usd=settings.budget_per_conversation_usd,
        latency_target_s=settings.latency_target_s,
    )


def build_policy(settings: RoutingSettings, ledger: Ledger | None = None) -> Policy:
    """The policy `settings.policy` names, with its artifacts loaded (errors say which file).

    `ledger` is accepted for policies that read history themselves; spend and
    latency reach policies through the pipeline's `TurnFeatures`.
    """
    weights = weights_of(settings)
    name = settings.policy
    if name == "local":
        return LocalOnlyPolicy()
    if name == "prefer_remote":
        return PreferRemotePolicy()
    quality = load_quality_model(settings.learned_artifact, settings.learned_router)
    if name == "learned":
        return LearnedPolicy(quality, weights, sticky=settings.sticky)
    if name == "budget":
        pacing = load_pacing(settings.budget_artifact)
        return BudgetPolicy(quality, pacing, weights, sticky=settings.sticky)
    if name == "cascade":
        return CascadePolicy(
            settings.cascade_threshold, settings.cascade_escalate_to, quality, weights
        )
    fallback = build_policy(settings.model_copy(update={"policy": settings.rules_fallback}))
    return RulesPolicy(tuple(settings.rules), fallback, weights, quality)


POLICY_NAMES = ("local", "prefer_remote", "rules", "learned", "budget", "cascade")


def policy_for(
    name: str, routing: RoutingSettings | None = None, ledger: Ledger | None = None
) -> Policy:
    """Return the policy configured under `name`, built from `routing` settings if given."""
    if name == "local":
        return LocalOnlyPolicy()
    if name == "prefer_remote":
        return PreferRemotePolicy()
    if name in POLICY_NAMES:
        settings = (routing or RoutingSettings(policy="local")).model_copy(update={"policy": name})
        return build_policy(settings, ledger)
    raise TandemError(f"unknown routing policy {name!r}", f"use one of: {', '.join(POLICY_NAMES)}")
