"""Asking the other tier for a question a rule keeps on the user's devices: off this device,
only an edge of theirs may answer it, never the cloud."""

from __future__ import annotations

import pytest

from router.endpoints.base import Endpoint
from router.endpoints.fake import FakeEndpoint
from router.ledger.feedback import FeedbackError
from router.privacy.rules import build_rules
from router.privacy.scan import Scanner
from router.runtime.feedback import Feedback
from router.turn.pipeline import TurnPipeline
from tests.support.pipeline import collect, finished, make_pipeline
from tests.support.zones import FALCON

QUESTION = "When does project Falcon launch?"


def _pipeline(*, desk: bool) -> tuple[TurnPipeline, FakeEndpoint]:
    cloud = FakeEndpoint(name="claude", kind="cloud")
    endpoints: dict[str, Endpoint] = {"local": FakeEndpoint(name="local"), "claude": cloud}
    if desk:
        endpoints["desk"] = FakeEndpoint(name="desk", kind="edge", mine=True)
    scanner = Scanner(rules=build_rules([FALCON]), detectors=[])
    return make_pipeline(endpoints=endpoints, scanner=scanner), cloud


async def test_the_other_tier_of_a_keep_mine_question_is_my_edge() -> None:
    pipeline, cloud = _pipeline(desk=True)
    first = finished(await collect(pipeline, QUESTION)).turn  # on the device (local policy)
    assert first.route is not None and first.route.privacy_action == "keep_mine"
    feedback = Feedback(pipeline)
    assert feedback.reanswer_refusal(first, "cloud") is None
    again = finished([e async for e in feedback.reanswer(first, "cloud")]).turn
    assert again.route is not None
    assert (again.route.endpoint, again.route.zone) == ("desk", "mine")
    assert cloud.requests == []
    assert len(feedback.store.pairs()) == 1


async def test_without_an_edge_of_mine_a_keep_mine_question_is_not_asked_off_device() -> None:
    pipeline, cloud = _pipeline(desk=False)
    first = finished(await collect(pipeline, QUESTION)).turn
    feedback = Feedback(pipeline)
    refusal = feedback.reanswer_refusal(first, "cloud")
    assert refusal == (
        "A privacy rule keeps this question on your devices, and none of them off this "
        "device is configured and reachable; mark your own edge as yours (mine) to ask it."
    )
    with pytest.raises(FeedbackError):
        [e async for e in feedback.reanswer(first, "cloud")]
    assert cloud.requests == []
