"""Tandem's own off-device endpoints, through the pipeline, against the edge server."""

from pathlib import Path

import pytest

from router.endpoints.llama_cpp import LlamaCppEndpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.registry import build_remote_endpoint
from router.endpoints.settings import RemoteEndpointSettings, ResilienceSettings
from router.ledger.store import Ledger
from router.paths import resolve_paths
from router.policy.decide import PreferRemotePolicy
from router.turn.events import FallbackStarted, TurnEvent
from router.turn.pipeline import TurnPipeline
from router.types import GenerationOptions
from tests.router.edge.conftest import StartServer
from tests.router.edge.support import KEY
from tests.support.pipeline import collect, finished, make_pipeline, route_chosen

RESILIENCE = ResilienceSettings(
    connect_timeout_s=2, first_token_timeout_s=20, total_timeout_s=60, max_retries=1,
    backoff_base_s=0.1, backoff_max_s=0.5, breaker_failures=3, breaker_cooldown_s=30,
    fallback_to_local=True,
)  # fmt: skip


def _pipeline(tmp_path: Path, url: str, api: str, tiny_gguf: Path) -> TurnPipeline:
    remote = RemoteEndpointSettings(
        name="home", kind="edge", api=api,  # type: ignore[arg-type]
        base_url=url if api == "anthropic" else f"{url}/v1",
        model="tandem-edge", api_key_env="EDGE_KEY",
    )  # fmt: skip
    paths = resolve_paths(tmp_path / "home").ensure()
    return make_pipeline(
        Ledger(paths.ledger_file),
        endpoints={
            "home": build_remote_endpoint(remote, RESILIENCE, paths, PriceTable.load(paths)),
            "local": LlamaCppEndpoint(tiny_gguf, n_ctx=512),
        },
        policy=PreferRemotePolicy(),
        generation=GenerationOptions(max_tokens=12, temperature=0.0),
        system_prompt="be brief",
    )


async def _ask(pipeline: TurnPipeline, text: str) -> list[TurnEvent]:
    return await collect(pipeline, text, session_id="s")


@pytest.mark.parametrize("api", ["anthropic", "openai"])
async def test_turns_are_served_by_the_edge_box(
    tmp_path: Path, tiny_gguf: Path, start_server: StartServer, api: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("EDGE_KEY", KEY)
    pipeline = _pipeline(tmp_path, start_server(), api, tiny_gguf)
    for text in ("hello", "and again"):  # the second turn carries the first as history
        events = await _ask(pipeline, text)
        assert route_chosen(events).decision.endpoint == "home"
        assert not [e for e in events if isinstance(e, FallbackStarted)]
        turn = finished(events).turn
        assert turn.status == "complete"
        usage = turn.usage
        assert usage is not None and usage.output_tokens == 12 and usage.input_tokens > 0
        assert usage.cost_usd == 0.0  # tandem-edge is priced at 0: your own hardware
    turns = pipeline.ledger.turns("s")
    assert [t.route.endpoint_kind for t in turns] == ["edge", "edge"]  # type: ignore[union-attr]
    assert turns[1].usage.input_tokens > turns[0].usage.input_tokens  # type: ignore[union-attr]


async def test_a_wrong_key_is_answered_on_the_device_with_the_reason(
    tmp_path: Path, tiny_gguf: Path, start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDGE_KEY", "wrong-key")
    pipeline = _pipeline(tmp_path, start_server(), "anthropic", tiny_gguf)
    events = await _ask(pipeline, "hello")
    [fallback] = [e for e in events if isinstance(e, FallbackStarted)]
    assert fallback.decision.endpoint == "local"
    assert "key" in fallback.reason.lower() and "wrong-key" not in fallback.reason
    [turn] = pipeline.ledger.turns("s")
    assert turn.status == "complete" and turn.route is not None
    assert turn.route.endpoint == "local"
