"""Shared estimates for policies: expected latency, cost and utility per endpoint, the
candidate set privacy allows, and the stickiness rule for follow-up turns.

The latency defaults are hand-set per endpoint kind (priors) and replaced by
measured rolling values (`LatencyTracker`) as soon as an endpoint has served a
turn: its round trip (time to first token) plus the answer at its measured
throughput. Switching cost counts the context the handoff packer would send
(`EndpointState.handoff_tokens`), not the raw history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.policy.features import EndpointState, TurnFeatures
from router.types import RouteDecision

EXPECTED_OUTPUT_TOKENS = 300
"""Answer length assumed when estimating cost and latency."""

# (first-token seconds, prefill tokens/s, decode tokens/s): priors, hand-set, conservative.
_KIND_SPEED: dict[str, tuple[float, float, float]] = {
    "local": (0.3, 400.0, 20.0),
    "edge": (0.4, 2000.0, 40.0),
    "cloud": (0.8, 8000.0, 60.0),
}


@dataclass(frozen=True)
class Weights:
    """How a policy trades quality against money and time."""

    willingness_to_pay_usd: float = 0.05
    """USD the user would pay for a 1.0 gain in answer quality (quality is in [0, 1])."""
    latency_weight: float = 0.2
    """Quality lost per latency-target overrun (an answer 2x the target loses this much)."""


@dataclass(frozen=True)
class Estimate:
    """A policy's view of one endpoint for this turn.

    `utility` = `turn_utility` - `history_cost`: the value of answering this
    turn, minus what carrying the conversation so far to that endpoint costs
    (little for the endpoint that already holds it in its cache).
    """

    state: EndpointState
    quality: float
    latency_s: float
    cost_usd: float
    turn_utility: float
    history_cost: float

    @property
    def utility(self) -> float:
        """Net value of routing the turn here."""
        return self.turn_utility - self.history_cost


DEFAULT_LATENCY_TARGET_S = 30.0
"""Used to value time when no latency target is configured."""
CACHED_PRICE_SHARE = 0.1
"""Share of the input price a provider charges for prompt-cache reads."""


def prompt_tokens(features: TurnFeatures, attachment_tokens: int | None = None) -> int:
    """Tokens of the new turn the endpoint reads: question and attachments (not history)."""
    extra = (
        sum(a.tokens for a in features.attachments)
        if attachment_tokens is None
        else attachment_tokens
    )
    return features.tokens + extra


def prefill_s_per_token(state: EndpointState) -> float:
    """Seconds per prompt token the endpoint spends before answering."""
    return 1.0 / _KIND_SPEED.get(state.kind, _KIND_SPEED["cloud"])[1]


def expected_latency_s(
    state: EndpointState, in_tokens: int, out_tokens: int = EXPECTED_OUTPUT_TOKENS
) -> float:
    """Expected seconds for the whole answer on `state`.

    Measured round trip plus `out_tokens` at the measured throughput when both
    are known; else the measured rolling latency; else the kind's prior speeds.
    """
    if state.ttft_s is not None and state.tokens_per_s:
        return state.ttft_s + out_tokens / state.tokens_per_s
    if state.latency_s is not None:
        return state.latency_s
    ttft, prefill, decode = _KIND_SPEED.get(state.kind, _KIND_SPEED["cloud"])
    return ttft + in_tokens / prefill + out_tokens / decode


def expected_cost_usd(
    state: EndpointState, in_tokens: int, out_tokens: int = EXPECTED_OUTPUT_TOKENS
) -> float:
    """Price of the call at the endpoint's per-token prices."""
    return in_tokens * state.price_in_per_token + out_tokens * state.price_out_per_token


def _target(features: TurnFeatures) -> float:
    return features.budgets.latency_target_s or DEFAULT_LATENCY_TARGET_S


def utility(
    quality: float, cost_usd: float, latency_s: float, features: TurnFeatures, weights: Weights
) -> float:
    """Quality minus money (at the willingness to pay) minus latency-target overrun."""
    value = quality - cost_usd / max(weights.willingness_to_pay_usd, 1e-9)
    target = _target(features)
    return value - weights.latency_weight * max(0.0, latency_s - target) / target


def candidates(features: TurnFeatures) -> list[EndpointState]:
    """Endpoints this turn may use: the reachable ones.

    Privacy is not weighed here: the pipeline alone keeps a keep-local turn on the device.
    """
    return [s for s in features.endpoints.values() if s.available]


def carried_tokens(features: TurnFeatures, state: EndpointState) -> int:
    """Context tokens sent to `state` besides the new turn: the packed handoff when known."""
    return features.history_tokens if state.handoff_tokens is None else state.handoff_tokens


def history_money_s(
    features: TurnFeatures, state: EndpointState, *, cached: bool
) -> tuple[float, float]:
    """(USD, seconds) of carrying the conversation so far to `state`.

    The endpoint that served the previous turn holds the history in its prompt
    cache (or its KV cache on the device): cache-read prices and no prefill.
    Any other endpoint is sent the packed context again (`carried_tokens`).
    """
    tokens = carried_tokens(features, state)
    share = CACHED_PRICE_SHARE if cached else 1.0
    money = tokens * state.price_in_per_token * share
    return money, 0.0 if cached else tokens * prefill_s_per_token(state)


def estimate(
    state: EndpointState,
    quality: float,
    features: TurnFeatures,
    weights: Weights,
    *,
    sticky: bool = True,
) -> Estimate:
    """Cost, latency and utility of sending this turn (and its history) to `state`."""
    tokens = prompt_tokens(features)
    turn_latency = expected_latency_s(state, tokens)
    turn_cost = expected_cost_usd(state, tokens)
    cached = sticky and state.name == features.previous_endpoint
    money, seconds = history_money_s(features, state, cached=cached)
    turn_value = utility(quality, turn_cost, turn_latency, features, weights)
    # The history's share of the penalty: total penalty minus the turn's own.
    total = utility(quality, turn_cost + money, turn_latency + seconds, features, weights)
    return Estimate(
        state,
        quality,
        turn_latency + seconds,
        turn_cost + money,
        turn_value,
        turn_value - total,
    )


def choose_sticky(
    features: TurnFeatures, ranked: Sequence[Estimate], weights: Weights
) -> tuple[Estimate, str]:
    """The best estimate, and a note when it won only because it already holds the context.

    Staying wins exactly when the gain of the best other endpoint (its turn
    utility over the previous endpoint's) is below the extra it would cost to
    resend the history to it.
    """
    best = ranked[0]
    if best.state.name != features.previous_endpoint or len(ranked) < 2:
        return best, ""
    rival = max(ranked[1:], key=lambda e: e.turn_utility)
    gain = rival.turn_utility - best.turn_utility
    if gain <= 0:
        return best, ""
    cost = rival.history_cost - best.history_cost
    return best, (
        f"stayed on {best.state.name}: switching to {rival.state.name} would resend "
        f"{carried_tokens(features, rival.state)} context tokens (cost {cost:.3f}) "
        f"for a gain of {gain:.3f}"
    )


def decision_for(
    est: Estimate, policy: str, reason: str, attachments: Sequence[str]
) -> RouteDecision:
    """A `RouteDecision` carrying the estimate's quality, latency and cost."""
    return RouteDecision(
        endpoint=est.state.name,
        endpoint_kind=est.state.kind,
        policy=policy,
        reason=reason,
        attachments_sent=tuple(attachments),
        expected_quality=round(est.quality, 4),
        expected_latency_s=round(est.latency_s, 3),
        expected_cost_usd=round(est.cost_usd, 6),
    )


def offline_note(features: TurnFeatures) -> str:
    """'; off-device endpoints unreachable' when some are configured but none answer."""
    configured = any(s.remote for s in features.endpoints.values())
    return "; off-device endpoints unreachable" if configured and not features.online else ""
