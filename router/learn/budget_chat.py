"""The chat's `budget` policy played in the M4A1 simulator (`tandem router sim --policy budget`).

The object that decides is the one the chat runs: `router.policy.budget.BudgetPolicy`,
built by the chat's factory from `[routing]` settings whose conversation budgets
are the simulation's. Each M4A1 turn becomes the `TurnFeatures` the chat would
compute: the question, the earlier questions as history, the conversation's
money and seconds left, and two endpoints:

- `device` (on-device, free) and `cloud` (off-device), whose latency the chat
  estimates from a `LatencyTracker`, as it does from real turns: seeded with
  the M4A1 log's measured latencies, then fed the simulated latency of every
  turn the policy plays.
- the turn's three camera views as image attachments. The cloud's prices and
  the views' sizes are fitted to the simulator, so that the chat's own cost
  estimate (prompt and image tokens at the input price, 300 answer tokens at
  the output price) gives each view set its mean simulated cost.

The decision maps back to an action: the device is action 0; the cloud with
the views the chat's attachment selection sends is the matching view set.
No privacy scan runs (M4A1's questions are about a home's devices).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from router.learn.budget_env import Observation
from router.learn.embed_cache import EmbeddingCache
from router.learn.m4a1 import VIEW_SETS, Simulator
from router.memory.embedding import Vectors
from router.policy.budget import BudgetPolicy
from router.policy.estimate import EXPECTED_OUTPUT_TOKENS
from router.policy.factory import policy_for
from router.policy.features import (
    Budgets,
    Embedder,
    EndpointState,
    LatencyTracker,
    TurnFeatures,
    compute_features,
)
from router.policy.settings import RoutingSettings
from router.tokens import estimate_tokens
from router.types import Attachment, Message, PrivacyReport, RouteDecision, TurnRequest, Usage

DEVICE, CLOUD = "device", "cloud"
VIEW_NAMES = ("camera_0.jpg", "camera_1.jpg", "camera_2.jpg")
IMAGE_BASE_TOKENS, IMAGE_TOKENS_MAX, BYTES_PER_TOKEN = 85, 1500, 750
"""`attachment_tokens` bills an image 85 tokens plus one per 750 bytes (at most 1,600)."""


@dataclass(frozen=True)
class CloudPrices:
    """The simulated cloud's per-token prices and the size of each camera view."""

    price_in: float
    price_out: float
    view_bytes: tuple[int, int, int]


def fit_prices(sim: Simulator) -> CloudPrices:
    """Prices and view sizes whose estimates give each view set its mean simulated cost.

    A view's cost is what uploading it alone adds to the text-only cloud call
    (M4A1's costs add up by view); the dearest view is billed `IMAGE_TOKENS_MAX`
    tokens in all, which sets the input price.
    """
    cost = sim.table[:, :, 2].mean(axis=0)
    extra = [max(float(cost[2 + v] - cost[1]), 0.0) for v in range(3)]
    price_in = max(max(extra), 1e-9) / IMAGE_TOKENS_MAX
    tokens = float(np.mean([estimate_tokens(t.question) + 1 for t in sim.turns]))
    price_out = max(float(cost[1]) - tokens * price_in, 0.0) / EXPECTED_OUTPUT_TOKENS
    # The cheapest views cost under the 85-token floor: billed at the floor (size 0).
    sizes = [max(round(e / price_in) - IMAGE_BASE_TOKENS, 0) * BYTES_PER_TOKEN for e in extra]
    return CloudPrices(price_in, price_out, (sizes[0], sizes[1], sizes[2]))


class CachedEmbedder:
    """The chat's MiniLM embedder behind the on-disk cache of `tandem router` (an `Embedder`)."""

    def __init__(self, cache: EmbeddingCache) -> None:
        """Embed through `cache`."""
        self.cache = cache

    def embed(self, texts: list[str], batch_size: int = 32) -> Vectors:
        """One unit row per text."""
        return self.cache.embed(texts)


class ChatPolicyInSim:
    """A simulator policy (`budget_env.Policy`) that asks the chat's `BudgetPolicy`."""

    def __init__(
        self, policy: BudgetPolicy, sim: Simulator, embedder: Embedder | None = None
    ) -> None:
        """Play `policy` on `sim`'s conversations; `embedder` as the chat's (None: none)."""
        self.policy, self.sim, self.embedder = policy, sim, embedder
        self.prices = fit_prices(sim)
        self.tracker = LatencyTracker()
        for turn in sim.turns:  # the log's measured turns, as a ledger would seed it
            self.tracker.observe(CLOUD if turn.action else DEVICE, Usage(latency_s=turn.latency_s))
        self.decisions: list[RouteDecision] = []
        self.actions: list[int] = []
        self._previous: dict[int, str] = {}

    def __call__(self, obs: Observation, rng: np.random.Generator) -> int:
        """Decide with the chat's policy; learn the endpoint's latency from the outcome."""
        decision = self.policy.decide(self.features(obs))
        action = self.action(decision)
        latency = float(self.sim.outcomes(obs.conversation)[obs.turn, action, 1])
        self.tracker.observe(decision.endpoint, Usage(latency_s=latency))
        self._previous[obs.conversation] = decision.endpoint
        self.decisions.append(decision)
        self.actions.append(action)
        return action

    def features(self, obs: Observation) -> TurnFeatures:
        """The `TurnFeatures` the chat would compute for this turn."""
        turns = self.sim.conversations[obs.conversation].turns
        history: list[Message] = []
        for earlier in turns[: obs.turn]:
            history += [Message(role="user", content=earlier.question), _ANSWERED]
        views = tuple(
            Attachment(name=name, mime_type="image/jpeg", size_bytes=size)
            for name, size in zip(VIEW_NAMES, self.prices.view_bytes, strict=True)
        )
        request = TurnRequest(
            text=turns[obs.turn].question, session_id=f"m4a1-{obs.conversation}", attachments=views
        )
        budgets = Budgets(conversation_usd=obs.cost_left_usd, conversation_s=obs.latency_left_s)
        return compute_features(
            request,
            PrivacyReport(),
            history,
            self.endpoints(),
            budgets=budgets,
            previous_endpoint=self._previous.get(obs.conversation) if obs.turn else None,
            embedder=self.embedder,
        )

    def endpoints(self) -> dict[str, EndpointState]:
        """The device and the cloud as the chat sees them now (measured latency, prices)."""
        cloud_in, cloud_out = self.prices.price_in, self.prices.price_out
        return {
            DEVICE: EndpointState(
                DEVICE, "local", True, 8192, 0.0, 0.0, self.tracker.latency_s(DEVICE)
            ),
            CLOUD: EndpointState(
                CLOUD, "cloud", True, 200_000, cloud_in, cloud_out, self.tracker.latency_s(CLOUD)
            ),
        }

    @staticmethod
    def action(decision: RouteDecision) -> int:
        """The M4A1 action of a decision: the device, or the cloud with the views sent."""
        if decision.endpoint == DEVICE:
            return 0
        views = tuple(sorted(VIEW_NAMES.index(name) for name in decision.attachments_sent))
        return 2 + VIEW_SETS.index(views) if views else 1


_ANSWERED = Message(role="assistant", content="Done.")
"""A stand-in for an earlier answer: M4A1 logs scores, not answers."""


def chat_budget_player(
    sim: Simulator,
    latency_budget_s: float,
    cost_budget_usd: float,
    embedder: Embedder | None = None,
    settings: RoutingSettings | None = None,
) -> ChatPolicyInSim:
    """The chat's `budget` policy, built by its factory with these conversation budgets."""
    base = settings or RoutingSettings(policy="budget")
    routing = base.model_copy(
        update={
            "policy": "budget",
            "budget_per_conversation_usd": cost_budget_usd,
            "budget_per_conversation_s": latency_budget_s,
        }
    )
    policy = policy_for("budget", routing)
    assert isinstance(policy, BudgetPolicy)
    return ChatPolicyInSim(policy, sim, embedder)
