"""Builds the configured routing policy from `[routing]` settings.

`POLICY_BUILDERS` is the one table of policies: a name (the values of
`[routing] policy`) to the function that builds it from the settings. A new
policy is a new row, not a new branch.

Given the ledger, the policies that run the quality model (`RATED_POLICIES`) learn
from the user's ratings in it: each is built on the quality model corrected by
them and on the model as loaded, and `RatedPolicy` decides with the first and says
when the second would have routed elsewhere (router/policy/user_ratings.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from router.errors import TandemError
from router.ledger.feedback import FeedbackStore
from router.policy.budget import BudgetPolicy, load_planner
from router.policy.cascade import CascadePolicy
from router.policy.cascade_artifact import shipped_calibration
from router.policy.confidence import PRIOR_THRESHOLD
from router.policy.decide import LocalOnlyPolicy, Policy, PreferRemotePolicy
from router.policy.estimate import Weights
from router.policy.features import BudgetLimits
from router.policy.learned import LearnedPolicy, QualityModel, load_quality_model
from router.policy.rules import RulesPolicy
from router.policy.settings import RoutingSettings
from router.policy.user_ratings import RatedPolicy, UserRatings

if TYPE_CHECKING:
    from router.ledger.store import Ledger

QualitySource = Callable[[], QualityModel]
"""The quality model a policy runs on: called only by the policies that need one."""
PolicyBuilder = Callable[[RoutingSettings, QualitySource], Policy]
"""Builds one policy from `[routing]` settings, loading its artifacts (errors say which file),
on the quality model its source gives (corrected by the user's ratings, for a rated policy)."""

RATED_POLICIES = frozenset({"learned", "budget", "rules"})
"""Policies whose routes the quality model decides, so the user's ratings can change them."""


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
        per_conversation_s=settings.budget_per_conversation_s,
    )


def _loaded_once(settings: RoutingSettings) -> QualitySource:
    """The settings' quality model, read on the first call only: a rated policy and its
    unrated twin (and a rules policy's fallback) share one read of the artifact."""
    return functools.cache(
        lambda: load_quality_model(settings.learned_artifact, settings.learned_router)
    )


def _local(settings: RoutingSettings, quality: QualitySource) -> Policy:
    return LocalOnlyPolicy()


def _prefer_remote(settings: RoutingSettings, quality: QualitySource) -> Policy:
    return PreferRemotePolicy()


def _learned(settings: RoutingSettings, quality: QualitySource) -> Policy:
    return LearnedPolicy(quality(), weights_of(settings), sticky=settings.sticky)


def _budget(settings: RoutingSettings, quality: QualitySource) -> Policy:
    planner = load_planner(settings.budget_artifact)
    return BudgetPolicy(
        quality(), planner, weights_of(settings), settings.sticky, limits=limits_of(settings)
    )


def cascade_threshold(settings: RoutingSettings) -> tuple[float, str]:
    """The escalation threshold and where it came from: the user's setting wins, then the
    shipped fitted artifact (assets/routing_cascade.json), then the prior."""
    if settings.cascade_threshold is not None:
        return settings.cascade_threshold, "your setting"
    calibration = shipped_calibration()
    if calibration is not None:
        return calibration.threshold, "fitted"
    return PRIOR_THRESHOLD, "prior"


def _cascade(settings: RoutingSettings, quality: QualitySource) -> Policy:
    threshold, source = cascade_threshold(settings)
    return CascadePolicy(
        threshold, settings.cascade_escalate_to, quality(), weights_of(settings), source
    )


def _rules(settings: RoutingSettings, quality: QualitySource) -> Policy:
    # The quality model is loaded first, as it always was: its errors come before the fallback's.
    model = quality()
    fallback = POLICY_BUILDERS[settings.rules_fallback](
        settings.model_copy(update={"policy": settings.rules_fallback}), quality
    )
    return RulesPolicy(tuple(settings.rules), fallback, weights_of(settings), model)


POLICY_BUILDERS: Mapping[str, PolicyBuilder] = {
    "local": _local,
    "prefer_remote": _prefer_remote,
    "rules": _rules,
    "learned": _learned,
    "budget": _budget,
    "cascade": _cascade,
}
"""Every routing policy by its `[routing] policy` name."""

POLICY_NAMES = tuple(POLICY_BUILDERS)


def build_policy(settings: RoutingSettings, ledger: Ledger | None = None) -> Policy:
    """The policy `settings.policy` names, with its artifacts loaded (errors say which file).

    With `ledger`, a policy in `RATED_POLICIES` learns from the user's ratings in it;
    spend and latency reach policies through the pipeline's `TurnFeatures`.
    """
    return policy_for(settings.policy, settings, ledger)


def policy_for(
    name: str, routing: RoutingSettings | None = None, ledger: Ledger | None = None
) -> Policy:
    """Return the policy configured under `name`, built from `routing` settings if given.

    With `ledger`, a policy that runs the quality model has it corrected by the user's
    ratings there, and says in its reason when they changed a route.
    """
    builder = POLICY_BUILDERS.get(name)
    if builder is None:
        raise TandemError(
            f"unknown routing policy {name!r}", f"use one of: {', '.join(POLICY_NAMES)}"
        )
    settings = (routing or RoutingSettings(policy="local")).model_copy(update={"policy": name})
    loaded = _loaded_once(settings)
    if ledger is None or name not in RATED_POLICIES:
        return builder(settings, loaded)
    ratings = UserRatings(FeedbackStore(ledger.db))
    rated = builder(settings, lambda: ratings.wrap(loaded()))
    return RatedPolicy(rated, builder(settings, loaded), ratings)
