"""The `[routing]` settings: which policy routes turns and what it trades off.

The top-level `Settings` composes this section with the others; policy
code imports it from here, so the policies never depend on the config file's loader.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from router.policy.routing_rule import RoutingRule


class RoutingSettings(BaseModel):
    """Which policy routes turns, and what it trades off (see router/policy/)."""

    # A typo in the user's file should fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")

    policy: Literal["local", "prefer_remote", "rules", "learned", "budget", "cascade"] = Field(
        description="`local`: every turn on the device; `prefer_remote`: the first reachable "
        "off-device endpoint, else the device; `rules`: the [[routing.rules]] below, then "
        "`rules_fallback`; `learned`: the artifact's quality model vs cost and latency; "
        "`budget`: the trained planner over the money and seconds left; `cascade`: answer "
        "locally, escalate when the local answer's confidence is low."
    )
    rules: list[RoutingRule] = Field(
        default_factory=list, description="User routing rules, first match wins."
    )
    rules_fallback: Literal["local", "prefer_remote", "learned", "budget"] = Field(
        default="learned", description="Policy for turns no rule matches."
    )
    willingness_to_pay_usd: float = Field(
        default=0.05, gt=0, description="USD worth a 1.0 gain in answer quality (in [0, 1])."
    )
    latency_weight: float = Field(
        default=0.2, ge=0, description="Quality given up per latency-target overrun."
    )
    latency_target_s: float | None = Field(
        default=None, gt=0, description="Seconds a whole answer should take; None: no target."
    )
    budget_per_day_usd: float | None = Field(
        default=None, ge=0, description="Most USD spent off-device per UTC day."
    )
    budget_per_month_usd: float | None = Field(
        default=None, ge=0, description="Most USD spent off-device per UTC month."
    )
    budget_per_conversation_usd: float | None = Field(
        default=None, ge=0, description="Most USD spent off-device per conversation."
    )
    budget_per_conversation_s: float | None = Field(
        default=None,
        gt=0,
        description="Most seconds of answers per conversation, which the `budget` policy plans "
        "over; None: no limit.",
    )
    learned_artifact: str | None = Field(
        default=None,
        description="Quality-model JSON (`tandem.linear-router`); None: the shipped "
        "assets/routing_learned.json, fitted by `tandem router fit-quality` on a device profile.",
    )
    learned_router: str | None = Field(
        default="bundled",
        description="Router trained with `tandem router train` (.npz) that predicts how much "
        "better an off-device model answers each question; `bundled`: the shipped one (trained "
        "on RouteLLM's GSM8K + MMLU outcomes); None: the quality JSON alone. It serves only "
        "off-device models of the quality JSON without embedding weights (hand-set files). "
        "When set, the `learned` and `budget` policies embed each turn, which the fitted "
        "quality model also reads.",
    )
    budget_artifact: str | None = Field(
        default=None,
        description="Trained budget planner (.npz, `tandem.learn.budget-policy` with a plan) "
        "for the `budget` policy; None: the shipped assets/budget_policy_default.npz.",
    )
    cascade_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Local answers below this confidence escalate; None: the threshold fitted "
        "in the shipped assets/routing_cascade.json, else the hand-set prior 0.6.",
    )
    cascade_samples: int = Field(
        default=2, ge=1, le=3, description="Local samples drawn to measure their agreement."
    )
    cascade_escalate_to: str | None = Field(
        default=None, description="Endpoint to escalate to; None: the first reachable remote."
    )
    sticky: bool = Field(
        default=True,
        description="Keep a conversation on its endpoint when switching would resend more "
        "context than it gains.",
    )
    metered_network: bool = Field(
        default=False,
        description="The network is paid by the byte (a mobile plan, a hotspot): turns that would "
        "upload a lot (big attachments, long contexts) are answered on the device when it can.",
    )
    sense_resources: bool = Field(
        default=True,
        description="Read the battery and whether any network is up (psutil, when installed) each "
        "turn: offline turns go straight to the device, and a low battery avoids long device "
        "generations when an off-device endpoint may answer.",
    )
    embed_features: bool = Field(
        default=False,
        description="Use the MiniLM embedding for difficulty and attachment relevance "
        "(about 6 ms a turn).",
    )
