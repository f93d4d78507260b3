"""Every way a cloud call can fail, against a faulty server on loopback.

The real Anthropic endpoint talks HTTP to `FaultServer`; the device answers with
a real tiny GGUF. For each fault the turn completes (from the cloud after a
retry, or on the device), the ledger holds exactly one answer, the time spent
stays within the configured timeouts, and the API key appears nowhere.
"""

import logging
import time
from pathlib import Path

import pytest

from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.registry import build_remote_endpoint
from router.endpoints.settings import RemoteEndpointSettings, ResilienceSettings
from router.ledger.store import Ledger
from router.paths import resolve_paths
from router.policy.decide import PreferRemotePolicy
from router.privacy.guard import EgressPolicy
from router.turn.events import FallbackStarted, TurnEvent, TurnFinished
from router.turn.pipeline import TurnPipeline
from router.types import GenerationOptions
from tests.support.fault_server import CLOUD_TEXT, BlackHole, Fault, FaultServer, closed_port
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen

KEY = "sk-ant-api03-TESTKEY-must-never-leak-0123456789abcdef"
RESILIENCE = ResilienceSettings(
    connect_timeout_s=0.5, first_token_timeout_s=1.0, total_timeout_s=6.0, max_retries=2,
    backoff_base_s=0.05, backoff_max_s=0.2, breaker_failures=3, breaker_cooldown_s=30,
    fallback_to_local=True,
)  # fmt: skip
# Every wait is bounded by the total timeout; the rest is the tiny local model.
TIME_BOUND_S = RESILIENCE.total_timeout_s + 3.0


def _pipeline(tmp_path: Path, base_url: str, tiny_gguf: Path) -> TurnPipeline:
    remote = RemoteEndpointSettings(
        name="cloud", kind="cloud", api="anthropic", model="claude-haiku-4-5",
        base_url=base_url, api_key_env="TANDEM_FAULT_TEST_KEY",
    )  # fmt: skip
    paths = resolve_paths(tmp_path / "home").ensure()
    # With the egress guard in the transport, as the runtime builds it.
    cloud = build_remote_endpoint(remote, RESILIENCE, paths, PriceTable.load(paths), EgressPolicy())
    return make_pipeline(
        Ledger(paths.ledger_file),
        endpoints={"cloud": cloud, "local": LlamaCppEndpoint(tiny_gguf, n_ctx=512)},
        policy=PreferRemotePolicy(),
        generation=GenerationOptions(max_tokens=8, temperature=0.0),
        system_prompt="be brief",
    )


async def _turn(pipeline: TurnPipeline) -> tuple[list[TurnEvent], float]:
    started = time.monotonic()
    events = await collect(pipeline, "hello", session_id="s")
    return events, time.monotonic() - started


def _only_turn(pipeline: TurnPipeline, events: list[TurnEvent]) -> TurnFinished:
    [turn] = pipeline.ledger.turns("s")
    last = finished(events)
    assert turn.status == "complete" and turn.answer == last.turn.answer
    assert len(pipeline.ledger.history("s")) == 2
    return last


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("TANDEM_FAULT_TEST_KEY", KEY)
    caplog.set_level(logging.DEBUG)


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog: pytest.LogCaptureFixture) -> object:
    yield None
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    ("script", "requests"),
    [(["429", "ok"], 2), (["500", "ok"], 2), (["529", "ok"], 2), (["slow", "ok"], 2)],
    ids=["429-retry-after", "500", "529-overloaded", "slow-first-byte"],
)
async def test_transient_faults_are_retried_and_answered_by_the_cloud(
    tmp_path: Path, tiny_gguf: Path, script: list[Fault], requests: int
) -> None:
    async with FaultServer(script, slow_s=3.0) as server:
        pipeline = _pipeline(tmp_path, server.url, tiny_gguf)
        events, elapsed = await _turn(pipeline)
    finished = _only_turn(pipeline, events)
    assert finished.turn.answer == CLOUD_TEXT
    assert finished.turn.route is not None and finished.turn.route.endpoint == "cloud"
    assert not [e for e in events if isinstance(e, FallbackStarted)]
    assert server.requests == requests
    assert KEY.encode() not in b"".join(server.bodies)
    assert elapsed < TIME_BOUND_S
    if script[0] == "429":
        assert elapsed >= 1.0  # the server's retry-after: 1 was honoured


@pytest.mark.parametrize(
    "fault", ["reset", "truncate", "bad_json", "500"],
    ids=["reset-mid-stream", "truncated-sse", "invalid-json", "persistent-500"],
)  # fmt: skip
async def test_broken_answers_are_finished_on_the_device(
    tmp_path: Path, tiny_gguf: Path, fault: Fault
) -> None:
    async with FaultServer([fault]) as server:
        pipeline = _pipeline(tmp_path, server.url, tiny_gguf)
        events, elapsed = await _turn(pipeline)
    finished = _only_turn(pipeline, events)
    [fallback] = [e for e in events if isinstance(e, FallbackStarted)]
    route = finished.turn.route
    assert route is not None and route.endpoint == "local"
    assert route.reason.startswith("cloud failed (") and KEY not in route.reason
    assert CLOUD_TEXT not in finished.turn.answer
    if fault == "500":
        assert server.requests == 1 + RESILIENCE.max_retries
    else:
        assert server.requests == 1  # text had been shown: no retry, the device takes over
        assert fallback.withdrawn_text == "cloud "
    assert elapsed < TIME_BOUND_S


async def test_connection_refused_falls_back_at_once_and_later_turns_skip_the_cloud(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    pipeline = _pipeline(tmp_path, f"http://127.0.0.1:{closed_port()}", tiny_gguf)
    events, elapsed = await _turn(pipeline)
    finished = _only_turn(pipeline, events)
    assert finished.turn.route is not None and finished.turn.route.endpoint == "local"
    assert elapsed < RESILIENCE.connect_timeout_s + 3.0
    again = await collect(pipeline, "again", session_id="s")
    assert not [e for e in again if isinstance(e, FallbackStarted)]
    assert route_chosen(again).decision.reason == "cloud unreachable right now"


async def test_connect_timeout_is_bounded_and_falls_back(tmp_path: Path, tiny_gguf: Path) -> None:
    hole = BlackHole()
    try:
        pipeline = _pipeline(tmp_path, f"http://127.0.0.1:{hole.port}", tiny_gguf)
        events, elapsed = await _turn(pipeline)
    finally:
        hole.close()
    finished = _only_turn(pipeline, events)
    assert finished.turn.route is not None and finished.turn.route.endpoint == "local"
    assert elapsed < TIME_BOUND_S
