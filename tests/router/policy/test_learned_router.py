"""The learned policy with the trained gap router shipped in assets/, over a hand-set model.

The gap router serves off-device endpoints whose quality model has no embedding part (the
hand-set version 1 files); the fitted shipped model supersedes it (test_quality_model.py).
"""

from __future__ import annotations

import numpy as np

from router.endpoints.fake import FakeEndpoint
from router.memory.embedding import shared_embedder
from router.paths import TandemPaths
from router.policy.features import compute_features
from router.policy.learned import load_quality_model
from router.policy.settings import RoutingSettings
from router.policy.trained_router import load_router
from router.runtime.compose import build_runtime
from router.settings.config import load_settings
from router.types import PrivacyReport, TurnRequest
from tests.router.policy.helpers import HAND_SET_QUALITY

HARD = "Prove that there are infinitely many primes p such that p + 2 is also prime."
EASY = "hi there"


def _features(text: str, embed: bool = True):  # type: ignore[no-untyped-def]
    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "claude": FakeEndpoint(name="claude", kind="cloud"),
    }
    return compute_features(
        TurnRequest(text=text, session_id="s"),
        PrivacyReport(),
        (),
        endpoints,
        embedder=shared_embedder() if embed else None,
    )


def test_cloud_quality_is_the_device_quality_plus_the_routers_predicted_gap() -> None:
    with_router = load_quality_model(HAND_SET_QUALITY, gap_router="bundled")
    linear = load_quality_model(HAND_SET_QUALITY)
    router = load_router()
    features = _features(HARD)
    assert features.embedding is not None
    cloud, local = features.endpoints["claude"], features.endpoints["local"]
    score = float(router.score(features.embedding[None, :], [HARD])[0])
    expected = min(1.0, max(0.0, linear.predict(local, features) + 2 * score - 1))
    assert np.isclose(with_router.predict(cloud, features), expected)
    # The device's own estimate does not use the router.
    assert with_router.predict(local, features) == linear.predict(local, features)


def test_without_an_embedding_the_linear_model_decides() -> None:
    with_router = load_quality_model(HAND_SET_QUALITY, gap_router="bundled")
    linear = load_quality_model(HAND_SET_QUALITY)
    features = _features(EASY, embed=False)
    cloud = features.endpoints["claude"]
    assert with_router.predict(cloud, features) == linear.predict(cloud, features)


def test_the_learned_policy_embeds_turns_only_when_its_router_needs_them(
    tandem_home: TandemPaths,
) -> None:
    endpoints = {"local": FakeEndpoint(name="local", kind="local")}
    for routing, embeds in [
        (RoutingSettings(policy="learned"), True),
        (RoutingSettings(policy="learned", learned_router=None), False),
        (RoutingSettings(policy="local"), False),
    ]:
        settings = load_settings(tandem_home).model_copy(update={"routing": routing})
        runtime = build_runtime(tandem_home, settings, endpoints=dict(endpoints))
        try:
            assert (runtime.pipeline.embedder is not None) is embeds
        finally:
            runtime.ledger.close()
