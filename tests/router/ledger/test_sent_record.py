"""The pipeline records every request that leaves the device, for the turn it belongs to.

The endpoints are fakes that keep what they were sent; the pipeline, the ledger,
the rules and the egress guard are the real ones.
"""

from __future__ import annotations

from pathlib import Path

from router.endpoints.fake import FakeEndpoint
from router.endpoints.function import EndpointCall, FunctionEndpoint
from router.errors import EgressBlockedError, EndpointUnavailableError
from router.ledger.sent import as_recorded
from router.policy.cascade import CascadePolicy
from router.policy.decide import PreferRemotePolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.scan import Scanner
from router.turn.events import EscalationStarted, TurnEvent
from router.turn.pipeline import TurnPipeline
from router.turn.spotlight import data_of
from router.types import GenerationOptions
from tests.router.mcp.test_tool_privacy import EMAIL, _run, _setup
from tests.router.policy.helpers import scored, scoring_local
from tests.router.privacy.test_scan import fake_detect
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen


def failing_cloud(error: Exception) -> FunctionEndpoint:
    """A cloud endpoint whose every request fails before an answer comes back."""

    def fail(call: EndpointCall) -> str:
        raise error

    return FunctionEndpoint(fail, name="cloud", kind="cloud")


def _pipeline(tmp_path: Path, cloud: FunctionEndpoint) -> TurnPipeline:
    return make_pipeline(
        tmp_path,
        endpoints={"local": FakeEndpoint(name="local", kind="local"), "cloud": cloud},
        policy=PreferRemotePolicy(),
        system_prompt="be brief",
        scanner=Scanner(detectors=[FunctionDetector(fake_detect)]),
    )


async def _turn(pipeline: TurnPipeline, text: str) -> list[TurnEvent]:
    return await collect(pipeline, text, session_id="s")


async def test_a_cloud_turn_records_the_request_it_sent(tmp_path: Path) -> None:
    cloud = FakeEndpoint(name="cloud", kind="cloud")
    pipeline = _pipeline(tmp_path, cloud)
    await _turn(pipeline, "what is a monad?")
    events = await _turn(pipeline, "and a functor?")

    route = route_chosen(events)
    assert route.decision.endpoint == "cloud"
    [request] = pipeline.ledger.sent.for_turn(route.turn_id)
    assert (request.endpoint, request.kind, request.tool_round) == ("cloud", "route", 0)
    # The record is what the endpoint got, and what the live event showed.
    assert request.messages == cloud.requests[-1] == route.sent_messages
    assert [m.content for m in request.messages][-1] == "and a functor?"
    assert len(pipeline.ledger.sent.for_session("s")) == 2  # one record per turn


async def test_a_turn_on_the_device_records_nothing(tmp_path: Path) -> None:
    cloud = FakeEndpoint(name="cloud", kind="cloud")
    pipeline = _pipeline(tmp_path, cloud)
    events = await _turn(pipeline, "Is 4111 1111 1111 1111 a valid card number?")
    route = route_chosen(events)
    assert route.decision.endpoint == "local"
    assert cloud.requests == []
    assert pipeline.ledger.sent.for_turn(route.turn_id) == ()
    assert pipeline.ledger.sent.for_session("s") == {}


async def test_a_request_the_guard_blocked_is_not_recorded(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, failing_cloud(EgressBlockedError("blocked at the guard")))
    turn = finished(await _turn(pipeline, "what is a monad?")).turn
    assert turn.route is not None
    assert turn.route.endpoint == "local"  # the device answered instead
    assert pipeline.ledger.sent.for_session("s") == {}


async def test_a_request_that_failed_may_have_left_so_it_is_recorded(tmp_path: Path) -> None:
    cloud = failing_cloud(EndpointUnavailableError("cloud: 503 overloaded"))
    pipeline = _pipeline(tmp_path, cloud)
    turn = finished(await _turn(pipeline, "what is a monad?")).turn
    assert turn.route is not None
    assert turn.route.endpoint == "local"
    [request] = pipeline.ledger.sent.for_turn(turn.id)
    assert request.endpoint == "cloud" and request.messages == cloud.requests[0]


async def test_an_escalation_is_recorded_as_one_and_the_local_draft_is_not(
    tmp_path: Path,
) -> None:
    cloud = FakeEndpoint(name="claude", kind="cloud")
    pipeline = make_pipeline(
        tmp_path,
        endpoints={"local": scoring_local([scored("maybe Lyon", -2.4, 4.5)]), "claude": cloud},
        policy=CascadePolicy(threshold=0.6),
        generation=GenerationOptions(max_tokens=64, seed=7),
        scanner=Scanner(detectors=[FunctionDetector(fake_detect)]),
    )
    events = await _turn(pipeline, "What is the capital of France?")
    route = route_chosen(events)
    assert route.sent_messages == ()
    escalation = next(e for e in events if isinstance(e, EscalationStarted))
    [request] = pipeline.ledger.sent.for_turn(route.turn_id)
    assert (request.endpoint, request.kind) == ("claude", "escalation")
    assert request.messages == cloud.requests[0] == escalation.sent_messages
    assert not any("maybe Lyon" in m.content for m in request.messages)


async def test_each_tool_round_is_recorded_with_its_redacted_result(tmp_path: Path) -> None:
    pipeline, cloud, _, host = _setup(tmp_path, "contacts", f"Alice's address is {EMAIL}")
    events = await _run(pipeline, host, "what is Alice's address?")
    route = route_chosen(events)
    record = pipeline.ledger.sent.for_turn(route.turn_id)
    assert [(r.endpoint, r.kind, r.tool_round) for r in record] == [
        ("cloud", "route", 0),
        ("cloud", "route", 1),
    ]
    assert [r.messages for r in record] == [as_recorded(sent) for sent in cloud.requests]
    result = record[1].messages[-1].tool_results[0].content
    # Recorded as sent: marked as data (spotlighting), the value a placeholder.
    assert data_of(result).startswith("Alice's address is ") and EMAIL not in result


async def test_a_tool_result_kept_local_records_only_the_first_request(tmp_path: Path) -> None:
    card = "4111 1111 1111 1111"
    pipeline, cloud, local, host = _setup(tmp_path, "bank", f"statement: card {card}")
    events = await _run(pipeline, host, "summarise my bank statement")
    route = route_chosen(events)
    [request] = pipeline.ledger.sent.for_turn(route.turn_id)  # the rest ran on the device
    assert request.messages == as_recorded(cloud.requests[0])
    assert local.requests and card not in str(request.model_dump())
