"""Shared builders for routing tests: endpoints, reports, features and policies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from router.endpoints.base import ScoredAnswer
from router.endpoints.fake import word_by_word
from router.endpoints.function import FunctionEndpoint, FunctionScoringEndpoint
from router.policy.decide import Policy
from router.policy.factory import policy_for
from router.policy.features import Budgets, TurnFeatures, compute_features
from router.policy.routing_rule import RoutingRule
from router.policy.settings import RoutingSettings
from router.types import (
    Attachment,
    EndpointKind,
    Finding,
    Message,
    PrivacyReport,
    TurnRequest,
    Usage,
)

# Claude-Sonnet-like prices: $3 / $15 per million tokens.
CLOUD_IN, CLOUD_OUT = 3e-6, 15e-6


def priced_endpoint(
    name: str,
    kind: EndpointKind,
    *,
    price_in: float = 0.0,
    price_out: float = 0.0,
    up: bool = True,
    context_window: int = 200_000,
    answer: str | None = None,
) -> FunctionEndpoint:
    """A fake endpoint with separate input/output prices and a switchable outage (`.up`)."""
    responder = (lambda _m: answer) if answer is not None else _echo(name)
    return FunctionEndpoint(
        word_by_word(responder),
        name=name,
        kind=kind,
        context_window=context_window,
        price_in_per_token=price_in,
        price_out_per_token=price_out,
        up=up,
    )


def _echo(name: str):  # type: ignore[no-untyped-def]
    def respond(messages: Sequence[Message]) -> str:
        last = next((m.content for m in reversed(messages) if m.role == "user"), "")
        return f"{name}: {last}"

    return respond


def scoring_local(samples: Sequence[ScoredAnswer]) -> FunctionScoringEndpoint:
    """A local fake that answers non-streamed with scripted per-token log-probs.

    Each scored call gets the next sample (the last one repeats); `.scored` records them.
    """
    return FunctionScoringEndpoint(
        word_by_word(_echo("local")),
        lambda call: samples[min(call.index, len(samples) - 1)],
        name="local",
        kind="local",
        context_window=200_000,
    )


def scored(text: str, logprob: float, entropy: float, n: int = 8) -> ScoredAnswer:
    """A scripted local answer whose every token has this log-prob and entropy."""
    return ScoredAnswer(
        text=text,
        token_logprobs=(logprob,) * n,
        token_entropies=(entropy,) * n,
        usage=Usage(input_tokens=10, output_tokens=n, ttft_s=0.01, latency_s=0.1),
    )


def endpoints(*, cloud_up: bool = True, edge: bool = False) -> dict[str, FunctionEndpoint]:
    """The device, a priced cloud endpoint `claude`, and optionally an edge box."""
    found = {
        "local": priced_endpoint("local", "local", context_window=8192),
        "claude": priced_endpoint(
            "claude", "cloud", price_in=CLOUD_IN, price_out=CLOUD_OUT, up=cloud_up
        ),
    }
    if edge:
        found["edge"] = priced_endpoint("edge", "edge", context_window=32_000)
    return found


def keep_local_report() -> PrivacyReport:
    """A verdict that keeps the turn on the device (a health topic)."""
    return PrivacyReport(
        findings=(
            Finding(type="TOPIC", category="health", start=0, end=5, confidence=0.9, detector="t"),
        ),
        keep_local=True,
        reason="mentions a health condition",
        action="keep_local",
        rule="health",
    )


def request(text: str, attachments: Sequence[Attachment] = (), sid: str = "s1") -> TurnRequest:
    """A turn request."""
    return TurnRequest(text=text, session_id=sid, attachments=tuple(attachments))


def features_for(
    req: TurnRequest,
    eps: dict[str, FunctionEndpoint],
    *,
    report: PrivacyReport | None = None,
    history: Sequence[Message] = (),
    budgets: Budgets | None = None,
    previous: str | None = None,
) -> TurnFeatures:
    """Features of `req` against `eps`."""
    return compute_features(
        req,
        report or PrivacyReport(),
        history,
        eps,
        budgets=budgets,
        previous_endpoint=previous,
    )


HARD_QUESTION = (
    "Find the race condition in this concurrent Python code and prove the fix is correct, "
    "step by step, considering every edge case:\n```python\nimport threading\n"
    + "counter = 0\ndef work():\n    global counter\n    counter += 1\n" * 20
    + "```"
)

RULES = (
    RoutingRule(name="code stays local", task=("code",), action="local"),
    RoutingRule(name="images go to the cloud", modality=("image",), action="remote"),
    RoutingRule(name="german to claude", language=("de",), action="claude"),
)


HAND_SET_QUALITY = Path(__file__).parent / "data" / "hand_set_quality_v1.json"
"""The hand-set (version 1) quality model: fixed predictions, unlike the shipped fitted one."""


def all_policies(tmp_path: Path | None = None) -> dict[str, Policy]:
    """Every configured policy, built the way the runtime builds them, on the hand-set
    quality model (`HAND_SET_QUALITY`): these tests are about the policies' mechanics, and
    must not move when the shipped model is refitted (its own tests: test_quality_model.py)."""
    settings = RoutingSettings(
        policy="local", rules=list(RULES), learned_artifact=str(HAND_SET_QUALITY)
    )
    names = ("local", "prefer_remote", "rules", "learned", "budget", "cascade")
    return {name: policy_for(name, settings) for name in names}


def flat_quality_routing(
    tmp_path: Path, policy: str = "learned", *, local: float = 0.70, cloud: float = 0.75
) -> RoutingSettings:
    """`[routing]` whose quality model rates the device `local` and the cloud `cloud` on every
    question (a linear artifact with biases only, no trained router), sticky off."""
    import json
    import math

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    path = tmp_path / "flat_quality.json"
    models = {
        "kind:local": {"bias": logit(local), "weights": {}},
        "kind:cloud": {"bias": logit(cloud), "weights": {}},
    }
    path.write_text(json.dumps({"format": "tandem.linear-router", "version": 1, "models": models}))
    return RoutingSettings(
        policy=policy,  # type: ignore[arg-type]
        learned_artifact=str(path),
        learned_router=None,
        sticky=False,
    )


RATED_CLOUD_PRICE_OUT = 2.8e-5
"""USD per output token that makes a 0.75 cloud worth 0.75 - 300 * 2.8e-5 / 0.05 = 0.58 to
`flat_quality_routing`: below its 0.70 device. One bad device rating brings the device to 0.43
on a near-identical question and to 0.64 on an unrelated one (router/policy/user_ratings.py)."""
