"""The user's ratings correct the quality model: a bad device answer sends similar questions
to the cloud next time, and leaves unrelated ones where they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from router.ledger.feedback import FeedbackStore
from router.ledger.store import Ledger
from router.memory.embedding import shared_embedder
from router.policy.budget import BudgetPolicy
from router.policy.factory import policy_for
from router.policy.features import TurnFeatures, compute_features
from router.policy.learned import LearnedPolicy
from router.policy.user_ratings import (
    GLOBAL_PSEUDO_COUNT,
    LOCAL_PSEUDO_COUNT,
    RatedPolicy,
    UserRatings,
)
from router.types import EndpointKind, PrivacyReport, RouteDecision, TurnRequest
from tests.router.policy.helpers import (
    RATED_CLOUD_PRICE_OUT,
    flat_quality_routing,
    priced_endpoint,
)
from tests.support.tiers import ASKED, SIMILAR, UNRELATED


def _features(text: str) -> TurnFeatures:
    endpoints = {
        "local": priced_endpoint("local", "local"),
        "claude": priced_endpoint("claude", "cloud", price_out=RATED_CLOUD_PRICE_OUT),
    }
    request = TurnRequest(text=text, session_id="s")
    return compute_features(request, PrivacyReport(), (), endpoints, embedder=shared_embedder())


def _answered(
    ledger: Ledger, text: str, endpoint: str = "local", kind: EndpointKind = "local"
) -> str:
    route = RouteDecision(endpoint=endpoint, endpoint_kind=kind, policy="learned", reason="-")
    turn = ledger.begin_turn(ledger.create_session(), text)
    ledger.finish_turn(turn.id, status="complete", answer="Sydney", route=route, usage=None)
    return turn.id


def _rate(ledger: Ledger, text: str, good: bool, kind: EndpointKind = "local") -> None:
    endpoint = "local" if kind == "local" else "claude"
    embedding = shared_embedder().embed([text])[0]
    FeedbackStore(ledger.db).rate(_answered(ledger, text, endpoint, kind), good, embedding)


def test_a_bad_device_answer_sends_a_similar_question_to_the_cloud(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    policy = policy_for("learned", flat_quality_routing(tmp_path), ledger)
    before = policy.decide(_features(SIMILAR))
    assert before.endpoint == "local"

    _rate(ledger, ASKED, good=False)

    after = policy.decide(_features(SIMILAR))
    assert after.endpoint == "claude"
    assert "your ratings: cloud better on similar prompts (1)" in after.reason
    unrelated = policy.decide(_features(UNRELATED))
    assert unrelated.endpoint == "local" and "your ratings" not in unrelated.reason


def test_ratings_reach_the_budget_policy_and_the_rules_fallback(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    _rate(ledger, ASKED, good=False)
    for name in ("budget", "rules"):
        decision = policy_for(name, flat_quality_routing(tmp_path, name), ledger).decide(
            _features(SIMILAR)
        )
        assert decision.endpoint == "claude", name
        assert "your ratings" in decision.reason, name


def test_the_correction_wraps_the_configured_policy(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    rated = policy_for("budget", flat_quality_routing(tmp_path, "budget"), ledger)
    assert isinstance(rated, RatedPolicy) and isinstance(rated.corrected, BudgetPolicy)
    assert rated.name == "budget"
    # Without a ledger there is nothing to learn from: the policy itself.
    assert isinstance(policy_for("learned", flat_quality_routing(tmp_path)), LearnedPolicy)


def _vector(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_the_correction_on_a_hand_computed_case(tmp_path: Path) -> None:
    """One bad device rating at e1 = (1, 0); the model predicted 0.7 everywhere."""
    ledger = Ledger(tmp_path / "ledger.db")
    FeedbackStore(ledger.db).rate(_answered(ledger, "q"), False, _vector(1.0, 0.0))
    ratings = UserRatings(FeedbackStore(ledger.db))
    g, m = GLOBAL_PSEUDO_COUNT, LOCAL_PSEUDO_COUNT
    overall = (g * 0.7 + 0.0) / (g + 1)  # the model's 0.7 counts as g ratings
    same = ratings.correct(0.7, "local", _vector(1.0, 0.0))
    assert same.quality == pytest.approx((m * overall + 0.0) / (m + 1.0))
    assert (same.similar, same.rated) == (1, 1)
    # Cosine 0.8: weight (0.8 - 0.5) / (1 - 0.5) = 0.6.
    near = ratings.correct(0.7, "local", np.array([0.8, 0.6], dtype=np.float32))
    assert near.quality == pytest.approx((m * overall) / (m + 0.6))
    far = ratings.correct(0.7, "local", _vector(0.0, 1.0))  # below the similarity floor
    assert far.quality == pytest.approx(overall) and far.similar == 0
    assert ratings.correct(0.7, "local", None).quality == pytest.approx(overall)
    untouched = ratings.correct(0.7, "cloud", _vector(1.0, 0.0))  # no cloud rating yet
    assert untouched.quality == 0.7 and untouched.rated == 0


def test_a_new_rating_is_seen_by_the_next_decision_not_a_stale_cache(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    store = FeedbackStore(ledger.db)
    ratings = UserRatings(store)
    turn = _answered(ledger, "q")
    store.rate(turn, True, _vector(1.0, 0.0))
    assert ratings.correct(0.5, "local", _vector(1.0, 0.0)).quality > 0.5
    store.rate(turn, False, _vector(1.0, 0.0))  # the user changed their mind
    assert ratings.correct(0.5, "local", _vector(1.0, 0.0)).quality < 0.5
    store.clear_rating(turn)
    assert ratings.correct(0.5, "local", _vector(1.0, 0.0)).quality == 0.5
