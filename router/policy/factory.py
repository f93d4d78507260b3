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

PolicyBuilder = Callable[[RoutingSettings, UserRatings | None], Policy]
"""Builds one policy from `[routing]` settings, loading its artifacts (errors say which file);
its quality model corrected by the user's ratings when they are given."""

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


def _quality(settings: RoutingSettings, ratings: UserRatings | None = None) -> QualityModel:
    model = load_quality_model(settings.learned_artifact, settings.learned_router)
    return model if ratings is None else ratings.wrap(model)


def _local(settings: RoutingSettings, ratings: UserRatings | None) -> Policy:
    return LocalOnlyPolicy()


def _prefer_remote(settings: RoutingSettings, ratings: UserRatings | None) -> Policy:
    return PreferRemotePolicy()


def _learned(settings: RoutingSettings, ratings: UserRatings | None) -> Policy:
    quality = _quality(settings, ratings)
    return LearnedPolicy(quality, weights_of(settings), sticky=settings.sticky)


def _budget(settings: RoutingSettings, ratings: UserRatings | None) -> Policy:
    quality = _quality(settings, ratings)
    planner = load_planner(settings.budget_artifact)
    return BudgetPolicy(
        quality, planner, weights_of(settings), settings.sticky, limits=limits_of(settings)
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


def _cascade(settings: RoutingSettings, ratings: UserRatings | None) -> Policy:
    quality = _quality(settings, ratings)
    threshold, source = cascade_threshold(settings)
    return CascadePolicy(
        threshold, settings.cascade_escalate_to, quality, weights_of(settings), source
    )


def _rules(settings: RoutingSettings, ratings: UserRatings | None) -> Policy:
    # The quality model is loaded first, as it always was: its errors come before the fallback's.
    quality = _quality(settings, ratings)
    fallback = POLICY_BUILDERS[settings.rules_fallback](
        settings.model_copy(update={"policy": settings.rules_fallback}), ratings
    )
    return RulesPolicy(tuple(settings.rules), fallback, weights_of(settings), quality)


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
    if ledger is None or name not in RATED_POLICIES:
        return builder(settings, None)
    ratings = UserRatings(FeedbackStore(ledger.db))
    return RatedPolicy(builder(settings, ratings), builder(settings, None), ratings)
