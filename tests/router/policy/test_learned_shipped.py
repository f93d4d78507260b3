"""The `learned` policy on the shipped fitted quality model, with the real MiniLM embedder.

The shipped model (assets/routing_learned.json) learned from the bundled device
model's answers to MMLU questions, and GPT-4's (the cloud stand-in): the device
is rarely right there, so what moves a decision is how much more likely the
cloud is to be right, weighed against its price.
"""

from __future__ import annotations

import pytest

from router.endpoints.fake import FakeEndpoint
from router.memory.embedding import shared_embedder
from router.policy.estimate import EXPECTED_OUTPUT_TOKENS, Weights
from router.policy.features import TurnFeatures, compute_features
from router.policy.learned import LearnedPolicy, load_quality_model
from router.types import PrivacyReport, TurnRequest

# Computation, where the cloud stand-in is often wrong too: little to gain by paying.
SUM = (
    "Estimate 812 - 397. The difference is between which numbers?\n"
    "A. 200 and 300\nB. 300 and 400\nC. 400 and 500\nD. 500 and 600\nAnswer:"
)
# Recall of a fact the cloud knows and the small device model does not.
HOLIDAY = (
    "Which of these holidays is always celebrated on the same date every year?\n"
    "A. Thanksgiving\nB. Easter\nC. Christmas\nD. Labor Day\nAnswer:"
)
PRICE = 1e-5
"""USD per token, both ways, of the test's cloud endpoint."""


def _features(text: str, embed: bool = True) -> TurnFeatures:
    endpoints = {
        "device": FakeEndpoint(name="device", kind="local"),
        "cloud": FakeEndpoint(name="cloud", kind="cloud", price_per_token_usd=PRICE),
    }
    return compute_features(
        TurnRequest(text=text, session_id="s"),
        PrivacyReport(),
        (),
        endpoints,
        embedder=shared_embedder() if embed else None,
    )


def _gain(features: TurnFeatures) -> float:
    model = load_quality_model()
    device, cloud = features.endpoints["device"], features.endpoints["cloud"]
    return model.predict(cloud, features) - model.predict(device, features)


def test_the_shipped_model_is_fitted_and_reads_the_embedding() -> None:
    model = load_quality_model()
    assert model.trained and model.uses_embedding
    # With the prompt's embedding the fact question and the sum get different predictions.
    assert _gain(_features(HOLIDAY)) - _gain(_features(SUM)) > 0.2


@pytest.mark.parametrize(("text", "expected"), [(HOLIDAY, "cloud"), (SUM, "device")])
def test_the_cloud_gets_the_question_it_is_predicted_to_gain_most_on(
    text: str, expected: str
) -> None:
    holiday, total = _features(HOLIDAY), _features(SUM)
    # Price the cloud call midway between the two predicted gains: each side of it decides.
    midway = (_gain(holiday) + _gain(total)) / 2
    tokens = holiday.tokens + EXPECTED_OUTPUT_TOKENS
    weights = Weights(willingness_to_pay_usd=tokens * PRICE / midway)
    policy = LearnedPolicy(load_quality_model(), weights)
    decision = policy.decide(_features(text))
    assert decision.endpoint == expected
    assert decision.expected_quality is not None
