"""Trust zones in the pipeline: a keep_mine turn reaches this device or an edge marked mine,
never the cloud or an edge that is not the user's; other turns still go to the cloud.

Each off-device endpoint records the bytes that reached it through the real egress
guard (tests/support/zones.py), so every assertion is on what left the device.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import router.policy.confidence as confidence_module
from router.context.settings import ContextSettings
from router.context.stage import ContextStage
from router.endpoints.base import Endpoint
from router.endpoints.fake import FakeEndpoint
from router.errors import EgressBlockedError, EndpointUnavailableError
from router.ledger.summaries import SessionSummary, SummaryStore
from router.policy.cascade import CascadePolicy
from router.policy.decide import PreferRemotePolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.turn.events import EscalationStarted, FallbackStarted, TurnEvent
from router.turn.pipeline import TurnPipeline
from router.turn.route import enforce_privacy
from router.types import Attachment, GenerationOptions, RouteDecision, TurnRequest
from tests.router.policy.helpers import endpoints, scored, scoring_local
from tests.router.privacy.test_scan import fake_detect
from tests.support.pipeline import collect, finished, make_pipeline
from tests.support.scripted import Scripted
from tests.support.zones import FALCON, Zoned

SECRET = "project Falcon"


def _pipeline(zoned: Zoned, *rules: PrivacyRule) -> TurnPipeline:
    return make_pipeline(
        endpoints=zoned.endpoints,
        policy=PreferRemotePolicy(),
        generation=GenerationOptions(max_tokens=200),
        scanner=Scanner(rules=build_rules(list(rules)), detectors=[FunctionDetector(fake_detect)]),
        egress_policy=zoned.policy,
    )


def _routed_not_blocked(pipeline: TurnPipeline, events: list[TurnEvent]) -> None:
    """Routing kept the data where it belongs: the guard, the backstop, never had to."""
    assert pipeline.egress_policy.blocked == 0
    assert not any(isinstance(e, FallbackStarted) for e in events)


def _never_left_for_the_cloud(zoned: Zoned, *values: str) -> None:
    for name in ("cloud", "lab"):
        for value in values:
            assert value.encode() not in zoned.received(name), f"{value} reached {name}"


async def test_a_keep_mine_turn_is_answered_by_my_edge_not_the_cloud() -> None:
    zoned = Zoned.build()  # the policy would take the cloud first
    pipeline = _pipeline(zoned, FALCON)
    events = await collect(pipeline, f"status of {SECRET}?")
    _routed_not_blocked(pipeline, events)
    turn = finished(events).turn
    route = turn.route
    assert route is not None and route.endpoint == "desk" and route.zone == "mine"
    assert route.privacy_action == "keep_mine"
    assert route.reason.startswith("kept on your devices: names a project")
    assert SECRET.encode() in zoned.received("desk")  # the user's own device gets it all
    assert zoned.received("cloud") == b"" and zoned.received("lab") == b""
    assert turn.answer == f"echo: status of {SECRET}?"


async def test_an_unrelated_question_still_reaches_the_cloud_intact() -> None:
    zoned = Zoned.build()
    pipeline = _pipeline(zoned, FALCON)
    turn = finished(await collect(pipeline, "what is the boiling point of water?")).turn
    assert turn.route is not None and turn.route.endpoint == "cloud"
    assert turn.route.zone == "cloud"
    assert b"what is the boiling point of water?" in zoned.received("cloud")


async def test_without_a_reachable_edge_of_mine_the_device_answers() -> None:
    zoned = Zoned.build()
    zoned.down("desk")
    pipeline = _pipeline(zoned, FALCON)
    events = await collect(pipeline, f"status of {SECRET}?")
    _routed_not_blocked(pipeline, events)
    route = finished(events).turn.route
    assert route is not None and route.endpoint == "local" and route.zone == "device"
    assert route.reason.startswith("kept on your devices: names a project")
    assert zoned.received("desk") == b""
    _never_left_for_the_cloud(zoned, SECRET)


async def test_an_edge_not_marked_mine_is_the_cloud_for_keep_mine() -> None:
    zoned = Zoned.build(("lab", "cloud"))  # no edge of mine at all
    pipeline = _pipeline(zoned, FALCON)
    events = await collect(pipeline, f"status of {SECRET}?")
    _routed_not_blocked(pipeline, events)
    route = finished(events).turn.route
    assert route is not None and route.endpoint == "local"
    _never_left_for_the_cloud(zoned, SECRET)


async def test_mixed_findings_reach_my_edge_with_the_redacted_value_as_a_placeholder() -> None:
    zoned = Zoned.build()
    pipeline = _pipeline(zoned, FALCON)
    text = f"mail Alice Smith about {SECRET}"
    turn = finished(await collect(pipeline, text)).turn
    assert turn.route is not None and turn.route.endpoint == "desk"
    assert turn.route.redactions == ("PERSON",)
    desk = zoned.received("desk")
    assert SECRET.encode() in desk and b"[PERSON_1]" in desk
    assert b"Alice Smith" not in desk  # redacted text reaches no other device, mine included
    assert turn.answer == f"echo: {text}"  # the placeholder is restored for the user
    _never_left_for_the_cloud(zoned, SECRET, "Alice Smith")


async def test_a_keep_mine_attachment_never_reaches_the_cloud(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(f"budget of {SECRET}: 3 million\n")
    file = Attachment(name="notes.txt", mime_type="text/plain", size_bytes=30, path=str(notes))
    zoned = Zoned.build()
    pipeline = _pipeline(zoned, FALCON)
    turn = finished(await collect(pipeline, "summarise the file", attachments=[file])).turn
    assert turn.route is not None and turn.route.endpoint == "desk"
    assert turn.route.attachments_sent == ("notes.txt",)
    assert b"3 million" in zoned.received("desk")
    _never_left_for_the_cloud(zoned, SECRET, "3 million")


async def test_keep_mine_history_keeps_later_turns_off_the_cloud() -> None:
    zoned = Zoned.build()
    pipeline = _pipeline(zoned, FALCON)
    await collect(pipeline, f"the {SECRET} code is XQ-77")
    turn = finished(await collect(pipeline, "and what is 2+2?")).turn
    # The history names the project again, so the whole conversation stays on my devices.
    assert turn.route is not None and turn.route.endpoint == "desk"
    assert b"XQ-77" in zoned.received("desk")
    _never_left_for_the_cloud(zoned, SECRET, "XQ-77")


async def test_a_keep_mine_turn_stays_off_the_cloud_after_its_rule_is_gone() -> None:
    # The turn's label holds, though no rule would find anything in it any more.
    zoned = Zoned.build()
    pipeline = _pipeline(zoned, FALCON)
    await collect(pipeline, f"the {SECRET} code is XQ-77")
    pipeline.scanner = Scanner(rules=build_rules(), detectors=[FunctionDetector(fake_detect)])
    turn = finished(await collect(pipeline, "and what is 2+2?")).turn
    assert turn.route is not None and turn.route.endpoint == "cloud"
    assert b"2+2" in zoned.received("cloud")
    _never_left_for_the_cloud(zoned, SECRET, "XQ-77")
    # My own edge may still be given the whole conversation.
    again = TurnRequest(text="remind me of the code", session_id="s1", endpoint="desk")
    await collect(pipeline, again)
    assert b"XQ-77" in zoned.wires["desk"].sent[-1]


async def test_asking_the_cloud_by_name_for_a_keep_mine_turn_gets_the_device() -> None:
    zoned = Zoned.build()
    pipeline = _pipeline(zoned, FALCON)
    request = TurnRequest(text=f"status of {SECRET}?", session_id="s1", endpoint="cloud")
    events = await collect(pipeline, request)
    _routed_not_blocked(pipeline, events)
    route = finished(events).turn.route
    assert route is not None and route.endpoint == "local"
    assert route.reason.startswith("kept on your devices: names a project")
    _never_left_for_the_cloud(zoned, SECRET)


async def test_a_failing_edge_of_mine_falls_back_to_the_device_not_the_cloud() -> None:
    zoned = Zoned.build()
    zoned.endpoints["desk"] = Scripted(
        [EndpointUnavailableError("reset")], name="desk", kind="edge", mine=True
    )
    pipeline = _pipeline(zoned, FALCON)
    events = await collect(pipeline, f"status of {SECRET}?")
    assert any(isinstance(e, FallbackStarted) for e in events)
    route = finished(events).turn.route
    assert route is not None and route.endpoint == "local" and route.zone == "device"
    _never_left_for_the_cloud(zoned, SECRET)


@pytest.mark.parametrize("with_desk", [True, False])
async def test_a_cascade_escalates_a_keep_mine_turn_only_to_my_edge(
    with_desk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under the prior confidence, whatever fitted artifact ships (as test_cascade.py does).
    monkeypatch.setattr(confidence_module, "shipped_calibration", lambda: None)
    local = scoring_local([scored("I think it might be June", -2.4, 4.5)])  # unsure
    claude = endpoints()["claude"]
    found: dict[str, Endpoint] = {"local": local, "claude": claude}
    if with_desk:
        found["desk"] = FakeEndpoint(name="desk", kind="edge", mine=True)
    pipeline = make_pipeline(
        endpoints=found,
        policy=CascadePolicy(threshold=0.6),
        scanner=Scanner(rules=build_rules([FALCON]), detectors=[FunctionDetector(fake_detect)]),
    )
    events = await collect(pipeline, f"when does {SECRET} launch?")
    escalations = [e for e in events if isinstance(e, EscalationStarted)]
    route = finished(events).turn.route
    assert route is not None and claude.requests == []
    if with_desk:
        assert [e.decision.endpoint for e in escalations] == ["desk"]
        assert (route.endpoint, route.zone) == ("desk", "mine")
    else:
        assert escalations == [] and route.endpoint == "local"


def test_enforcement_drops_an_escalation_to_the_cloud_for_a_keep_mine_turn() -> None:
    # A buggy policy's choice: my edge, escalating to the cloud.
    zoned = Zoned.build()
    report = Scanner(rules=build_rules([FALCON]), detectors=[]).scan(
        TurnRequest(text=SECRET, session_id="s"), []
    )
    chosen = RouteDecision(
        endpoint="desk", endpoint_kind="edge", policy="p", reason="cheap", escalate_to="cloud"
    )
    request = TurnRequest(text=SECRET, session_id="s")
    decision = enforce_privacy(request, report, chosen, zoned.endpoints)
    assert (decision.endpoint, decision.zone, decision.escalate_to) == ("desk", "mine", None)
    assert decision.reason.startswith("kept on your devices: names a project; cheap")
    to_cloud = chosen.model_copy(update={"endpoint": "lab", "escalate_to": None})
    assert enforce_privacy(request, report, to_cloud, zoned.endpoints).endpoint == "local"


async def test_with_no_device_model_and_my_edge_down_the_error_says_what_to_do() -> None:
    zoned = Zoned.build(local=False)  # a phone without a model of its own
    zoned.down("desk")
    pipeline = _pipeline(zoned, FALCON)
    with pytest.raises(EgressBlockedError) as raised:  # nothing was sent, as for keep_local
        await collect(pipeline, f"status of {SECRET}?")
    assert raised.value.message == (
        "this message must stay on your devices (it names a project), and none of them "
        "can answer it now"
    )
    assert (
        raised.value.hint == "reach your own edge (an endpoint marked mine), or add a local model"
    )
    _never_left_for_the_cloud(zoned, SECRET)


async def test_a_keep_mine_summary_reaches_my_edge_and_never_the_cloud(tmp_path: Path) -> None:
    zoned = Zoned.build()
    pipeline = _pipeline(zoned, FALCON)
    pipeline.context = ContextStage(
        ContextSettings(summary_every_n_turns=50), SummaryStore(tmp_path / "ledger.db")
    )
    # A summary condensed from turns since forgotten, labelled as they were.
    summary = "The user's project Falcon budget is 3M."
    pipeline.context.summaries.put(SessionSummary("s1", 0, summary, "keep_mine"))
    turn = finished(await collect(pipeline, "What should I plan next?")).turn
    assert turn.route is not None and turn.route.endpoint == "desk"
    assert b"budget is 3M" in zoned.received("desk")
    _never_left_for_the_cloud(zoned, SECRET, "budget is 3M")
