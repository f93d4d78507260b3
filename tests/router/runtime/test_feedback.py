"""Rating answers and asking the other tier, as the chat and the GUI do it (`Feedback`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from router.endpoints.fake import echo_responder, words
from router.endpoints.function import EndpointCall, FunctionEndpoint
from router.ledger.feedback import FeedbackError
from router.ledger.store import Ledger
from router.memory.embedding import shared_embedder
from router.policy.classify import EMBED_CHARS
from router.policy.factory import policy_for
from router.privacy.guard import EgressPolicy
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.runtime.feedback import Feedback
from router.turn.events import TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import Turn, TurnRequest
from tests.router.policy.helpers import (
    RATED_CLOUD_PRICE_OUT,
    flat_quality_routing,
    priced_endpoint,
)
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen
from tests.support.tiers import ASKED, SECRET, SIMILAR, UNRELATED
from tests.support.wire import Wire


def _wired_cloud(wire: Wire) -> FunctionEndpoint:
    """A priced cloud endpoint whose every request goes through the real egress guard."""

    async def handle(call: EndpointCall) -> list[str]:
        await wire.post({"messages": [m.content for m in call.messages]})
        return words(echo_responder(call.messages))

    return FunctionEndpoint(
        handle, name="claude", kind="cloud", price_out_per_token=RATED_CLOUD_PRICE_OUT
    )


def _pipeline(tmp_path: Path) -> tuple[TurnPipeline, Wire]:
    egress = EgressPolicy()
    wire = Wire(egress, "claude")
    ledger = Ledger(tmp_path / "ledger.db")
    keep_local = PrivacyRule(
        name="codename", keywords=["bluebird"], action="keep_local", reason="a codename"
    )
    pipeline = make_pipeline(
        ledger,
        endpoints={"local": priced_endpoint("local", "local"), "claude": _wired_cloud(wire)},
        policy=policy_for("learned", flat_quality_routing(tmp_path), ledger),
        embedder=shared_embedder(),
        egress_policy=egress,
        # The codename rule alone: no detector redacts the questions these tests send.
        scanner=Scanner(rules=build_rules([keep_local]), detectors=[]),
    )
    return pipeline, wire


async def _turn(pipeline: TurnPipeline, text: str, session: str = "s1") -> Turn:
    return finished(await collect(pipeline, text, session_id=session)).turn


async def test_a_bad_rating_sends_the_next_similar_question_to_the_cloud(tmp_path: Path) -> None:
    pipeline, _ = _pipeline(tmp_path)
    first = await _turn(pipeline, ASKED, "s1")
    assert first.route is not None and first.route.endpoint == "local"

    Feedback(pipeline).rate(first, good=False)

    similar = route_chosen(await collect(pipeline, SIMILAR, session_id="s2")).decision
    assert similar.endpoint == "claude"
    assert "your ratings: cloud better on similar prompts (1)" in similar.reason
    unrelated = route_chosen(await collect(pipeline, UNRELATED, session_id="s3")).decision
    assert unrelated.endpoint == "local" and "your ratings" not in unrelated.reason


async def test_a_rating_keeps_the_questions_embedding(tmp_path: Path) -> None:
    pipeline, _ = _pipeline(tmp_path)
    turn = await _turn(pipeline, ASKED)
    rating = Feedback(pipeline).rate(turn, good=True)
    assert (rating.endpoint, rating.kind, rating.good) == ("local", "local", True)
    [seen] = Feedback(pipeline).store.observations()
    expected = shared_embedder().embed([ASKED[:EMBED_CHARS]])[0]
    assert np.allclose(seen.embedding, expected, atol=1e-6)


async def test_asking_the_cloud_again_answers_there_and_records_the_pair(tmp_path: Path) -> None:
    pipeline, wire = _pipeline(tmp_path)
    first = await _turn(pipeline, ASKED)
    feedback = Feedback(pipeline)
    events = [event async for event in feedback.reanswer(first, "cloud")]
    again = finished(events).turn
    assert again.route is not None and again.route.endpoint == "claude"
    assert "as you asked" in again.route.reason
    assert again.user_text == ASKED and again.answer.startswith("echo:")
    assert len(wire.sent) == 1 and ASKED.encode() in wire.sent[0]
    [pair] = feedback.store.pairs()
    assert (pair.turn_id, pair.reanswer_id) == (first.id, again.id)
    assert (pair.endpoint, pair.reanswer_endpoint) == ("local", "claude")
    # Back on the device: the cloud's answer to it is a pair too.
    back = finished([e async for e in feedback.reanswer(again, "device")]).turn
    assert back.route is not None and back.route.endpoint == "local"
    assert len(feedback.store.pairs()) == 2 and len(wire.sent) == 1


async def test_a_kept_local_question_is_never_asked_in_the_cloud(tmp_path: Path) -> None:
    pipeline, wire = _pipeline(tmp_path)
    kept = await _turn(pipeline, SECRET)
    assert kept.route is not None and kept.route.privacy_action == "keep_local"
    feedback = Feedback(pipeline)
    refusal = feedback.reanswer_refusal(kept, "cloud")
    assert (
        refusal
        == "A privacy rule keeps this question on this device, so the cloud cannot answer it."
    )
    with pytest.raises(FeedbackError) as raised:
        [event async for event in feedback.reanswer(kept, "cloud")]
    assert raised.value.message == refusal
    # The pipeline enforces it too: a request for the cloud that a rule keeps local stays here.
    direct = TurnRequest(text=SECRET, session_id="s1", endpoint="claude")
    events = await collect(pipeline, direct)
    assert route_chosen(events).decision.endpoint == "local"
    assert wire.sent == [] and pipeline.endpoints["claude"].calls == []  # type: ignore[attr-defined]
    # Rating it stays on the device and is learned from all the same.
    assert feedback.rate(kept, good=False).kind == "local"
    assert feedback.store.pairs() == []


async def test_asking_the_tier_that_already_answered_is_refused(tmp_path: Path) -> None:
    pipeline, _ = _pipeline(tmp_path)
    turn = await _turn(pipeline, ASKED)
    feedback = Feedback(pipeline)
    assert feedback.reanswer_refusal(turn, "device") == (
        "That answer already came from this device; ask the cloud instead."
    )
    assert feedback.reanswer_refusal(turn, "cloud") is None
    pipeline.endpoints["claude"].up = False  # type: ignore[attr-defined]
    assert feedback.reanswer_refusal(turn, "cloud") == (
        "No off-device endpoint is reachable right now; try again when you are online."
    )


async def test_without_an_off_device_endpoint_the_cloud_is_not_offered(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path)
    turn = finished(await collect(pipeline, ASKED)).turn
    assert Feedback(pipeline).reanswer_refusal(turn, "cloud") == (
        "No off-device endpoint is configured; add one in the settings to ask the cloud."
    )


async def test_a_reanswer_that_fell_back_to_the_device_is_not_a_pair(tmp_path: Path) -> None:
    pipeline, _ = _pipeline(tmp_path)
    first = await _turn(pipeline, ASKED)
    failing = FunctionEndpoint(_fails, name="claude", kind="cloud")
    pipeline.endpoints["claude"] = failing
    feedback = Feedback(pipeline)
    events = [event async for event in feedback.reanswer(first, "cloud")]
    last = events[-1]
    assert isinstance(last, TurnFinished) and last.turn.route is not None
    assert last.turn.route.endpoint == "local"  # the cloud failed; the device answered
    assert feedback.store.pairs() == []


def _fails(call: EndpointCall) -> list[str]:
    from router.errors import EndpointError

    raise EndpointError("claude is down", "try later")
