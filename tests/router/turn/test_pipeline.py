import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from router.endpoints.base import Endpoint, StreamEnd, StreamEvent, TokenDelta
from router.endpoints.fake import FakeEndpoint
from router.errors import (
    EgressBlockedError,
    EmptyPromptError,
    EndpointError,
    EndpointUnavailableError,
    PromptTooLongError,
)
from router.policy.decide import PreferRemotePolicy
from router.turn.events import FallbackStarted
from router.turn.pipeline import TurnPipeline
from router.types import GenerationOptions, Message, TurnRequest, Usage
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen, streamed_text
from tests.support.scripted import Scripted


def _pipeline(tmp_path: Path, endpoint: FakeEndpoint) -> TurnPipeline:
    return make_pipeline(tmp_path, endpoints={endpoint.name: endpoint}, system_prompt="be brief")


async def test_events_come_in_stage_order_and_the_turn_is_persisted(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, FakeEndpoint())
    events = await collect(pipeline, "hello there")
    route = route_chosen(events)
    assert route.decision.endpoint_kind == "local"
    assert streamed_text(events) == "echo: hello there"
    turn = finished(events).turn
    assert turn.status == "complete"
    assert turn.usage is not None and turn.usage.output_tokens == 3
    [stored] = pipeline.ledger.turns("s1")
    assert stored.answer == "echo: hello there"
    assert stored.route == route.decision


async def test_history_and_system_prompt_reach_the_endpoint(tmp_path: Path) -> None:
    endpoint = FakeEndpoint()
    pipeline = _pipeline(tmp_path, endpoint)
    await collect(pipeline, "first")
    await collect(pipeline, "second")
    sent = endpoint.requests[-1]
    assert [(m.role, m.content) for m in sent] == [
        ("system", "be brief"),
        ("user", "first"),
        ("assistant", "echo: first"),
        ("user", "second"),
    ]


async def test_history_survives_a_restart(tmp_path: Path) -> None:
    await collect(_pipeline(tmp_path, FakeEndpoint()), "remember me")
    endpoint = FakeEndpoint()
    await collect(_pipeline(tmp_path, endpoint), "again")
    assert [m.content for m in endpoint.requests[-1]][1:3] == ["remember me", "echo: remember me"]


async def test_closing_the_stream_persists_a_cancelled_turn_with_its_partial_answer(
    tmp_path: Path,
) -> None:
    pipeline = _pipeline(tmp_path, FakeEndpoint(lambda _: "one two three four five"))
    stream = pipeline.run_turn(TurnRequest(text="count", session_id="s1"))
    seen = []
    async for event in stream:
        if isinstance(event, TokenDelta):
            seen.append(event.text)
            if len(seen) == 2:
                break
    await stream.aclose()
    [turn] = pipeline.ledger.turns("s1")
    assert turn.status == "cancelled"
    assert turn.answer == "one two"
    assert pipeline.ledger.history("s1") == []


async def test_cancelling_the_task_persists_a_cancelled_turn(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, FakeEndpoint(lambda _: "a " * 50, delay_s=0.01))
    started = asyncio.Event()

    async def consume() -> None:
        async for event in pipeline.run_turn(TurnRequest(text="go", session_id="s1")):
            if isinstance(event, TokenDelta):
                started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [turn] = pipeline.ledger.turns("s1")
    assert turn.status == "cancelled"
    assert turn.answer.startswith("a")


class _Broken(FakeEndpoint):
    async def stream(
        self, messages: Sequence[Message], options: GenerationOptions
    ) -> AsyncIterator[StreamEvent]:
        yield TokenDelta(text="partial")
        raise OSError("connection reset")


async def test_endpoint_failure_is_persisted_and_raised_as_a_user_facing_error(
    tmp_path: Path,
) -> None:
    pipeline = _pipeline(tmp_path, _Broken())
    with pytest.raises(EndpointError, match="connection reset"):
        await collect(pipeline, "hi")
    [turn] = pipeline.ledger.turns("s1")
    assert (turn.status, turn.answer) == ("error", "partial")
    assert "connection reset" in (turn.error or "")


async def test_bad_input_is_refused_before_anything_is_persisted(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, FakeEndpoint(context_window=300))
    with pytest.raises(EmptyPromptError):
        await collect(pipeline, "   ")
    with pytest.raises(PromptTooLongError):
        await collect(pipeline, "word " * 5000)
    assert pipeline.ledger.turns("s1") == []
    assert pipeline.ledger.sessions() == []


async def test_a_new_conversation_is_titled_after_its_first_message(tmp_path: Path) -> None:
    pipeline = _pipeline(tmp_path, FakeEndpoint())
    await collect(
        pipeline, "How do I  bake\nsourdough bread at home without a dutch oven or a stone?"
    )
    await collect(pipeline, "and with rye?")
    [session] = pipeline.ledger.sessions()
    assert session.title == "How do I bake sourdough bread at home without a dutch oven…"
    assert session.turns == 2


def _hybrid(tmp_path: Path, remote: Endpoint, **kwargs: object) -> TurnPipeline:
    local = FakeEndpoint(lambda _: "local answer", name="local", kind="local")
    return make_pipeline(
        tmp_path,
        endpoints={remote.name: remote, "local": local},
        policy=PreferRemotePolicy(),
        **kwargs,
    )


CLOUD_OK = [
    TokenDelta(text="cloud answer"),
    StreamEnd(usage=Usage(output_tokens=2), finish_reason="stop"),
]


async def test_prefer_remote_routes_to_the_cloud_when_it_is_up(tmp_path: Path) -> None:
    pipeline = _hybrid(tmp_path, Scripted(CLOUD_OK))
    events = await collect(pipeline, "hi")
    assert route_chosen(events).decision.endpoint == "cloud"
    [turn] = pipeline.ledger.turns("s1")
    assert (turn.answer, turn.route.endpoint_kind) == ("cloud answer", "cloud")  # type: ignore[union-attr]


async def test_cloud_failure_before_output_is_answered_locally(tmp_path: Path) -> None:
    pipeline = _hybrid(tmp_path, Scripted([EndpointUnavailableError("connection refused")]))
    events = await collect(pipeline, "hi")
    [fallback] = [e for e in events if isinstance(e, FallbackStarted)]
    assert fallback.decision.endpoint == "local" and fallback.withdrawn_text == ""
    assert "cloud failed (connection refused)" in fallback.decision.reason
    [turn] = pipeline.ledger.turns("s1")
    assert (turn.status, turn.answer) == ("complete", "local answer")
    assert turn.route is not None and turn.route.endpoint == "local"
    assert "answered on this device" in turn.route.reason


async def test_cloud_failure_mid_answer_is_replaced_by_one_local_answer(tmp_path: Path) -> None:
    broken = Scripted([TokenDelta(text="half an ans"), EndpointUnavailableError("reset")])
    pipeline = _hybrid(tmp_path, broken)
    events = await collect(pipeline, "hi")
    [fallback] = [e for e in events if isinstance(e, FallbackStarted)]
    assert fallback.withdrawn_text == "half an ans"
    assert finished(events).turn.answer == "local answer"
    [turn] = pipeline.ledger.turns("s1")
    assert turn.answer == "local answer"
    assert pipeline.ledger.history("s1")[1].content == "local answer"


async def test_without_fallback_the_failure_is_recorded(tmp_path: Path) -> None:
    pipeline = _hybrid(
        tmp_path, Scripted([EndpointUnavailableError("down")]), fallback_to_local=False
    )
    with pytest.raises(EndpointUnavailableError):
        await collect(pipeline, "hi")
    [turn] = pipeline.ledger.turns("s1")
    assert (turn.status, turn.error) == ("error", "down")


async def test_a_known_down_endpoint_is_skipped_without_a_request(tmp_path: Path) -> None:
    remote = Scripted(CLOUD_OK)
    remote.up = False
    pipeline = _hybrid(tmp_path, remote)
    route = route_chosen(await collect(pipeline, "hi"))
    assert route.decision.endpoint == "local"
    assert route.decision.reason == "cloud unreachable right now"
    assert remote.calls == []


async def test_the_privacy_scan_runs_off_the_event_loop(tmp_path: Path) -> None:
    """A GUI shares the pipeline's loop: a slow scan (NER loading) must not freeze it."""
    import threading

    from router.privacy.scan import Scanned, Scanner

    class RecordingScanner(Scanner):
        def __init__(self) -> None:
            super().__init__()
            self.threads: list[threading.Thread] = []

        def scan_names(
            self, request: TurnRequest, history: Sequence[Message], session_id: str | None = None
        ) -> Scanned:
            self.threads.append(threading.current_thread())
            return super().scan_names(request, history, session_id)

    pipeline = _pipeline(tmp_path, FakeEndpoint())
    scanner = RecordingScanner()
    pipeline.scanner = scanner
    finished(await collect(pipeline, "hello there"))
    assert scanner.threads and threading.main_thread() not in scanner.threads


async def test_a_kept_local_turn_with_no_device_model_is_refused_before_anything_leaves(
    tmp_path: Path,
) -> None:
    cloud = FakeEndpoint(name="cloud", kind="cloud")
    pipeline = make_pipeline(tmp_path, endpoints={"cloud": cloud}, policy=PreferRemotePolicy())
    with pytest.raises(EgressBlockedError, match=r"must stay on this device .* card number"):
        await collect(pipeline, "My card is 4111 1111 1111 1111")
    assert cloud.requests == []
    assert pipeline.ledger.turns("s1") == []
