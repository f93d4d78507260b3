"""The whole privacy path with the real parts: detectors, rules, the anthropic SDK, the guard.

A recording Anthropic-compatible server stands in for the cloud; what it
receives is exactly what left the device.
"""

from pathlib import Path

import pytest

from router.endpoints.base import TokenDelta
from router.errors import EgressBlockedError
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from router.turn.events import RouteChosen, TurnEvent, TurnFinished
from router.types import GenerationOptions, Message
from tests.support.fault_server import FaultServer
from tests.support.pipeline import collect


def _runtime(
    home: TandemPaths, url: str, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    monkeypatch.setenv("TANDEM_LOCAL__MODEL", str(tiny_gguf))
    monkeypatch.setenv("CLOUD_KEY", "sk-ant-api03-end-to-end-test-key-000000000000")
    home.config_file.write_text(
        '[routing]\npolicy = "prefer_remote"\n[generation]\nmax_tokens = 8\n'
        f'[[endpoints]]\nname = "cloud"\nkind = "cloud"\napi = "anthropic"\n'
        f'model = "claude-haiku-4-5"\nbase_url = "{url}"\napi_key_env = "CLOUD_KEY"\n'
    )
    return build_runtime(home)


async def _turn(runtime: Runtime, text: str) -> list[TurnEvent]:
    return await collect(runtime.pipeline, text, session_id="s")


async def test_a_card_number_never_leaves_the_device(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FaultServer(["ok"]) as server:
        runtime = _runtime(tandem_home, server.url, tiny_gguf, monkeypatch)
        events = await _turn(runtime, "Is 4111 1111 1111 1111 a valid card number?")
        await runtime.aclose()
    route = events[0]
    assert isinstance(route, RouteChosen) and route.decision.endpoint == "local"
    assert route.decision.reason == "kept local: contains a card number"
    assert route.sent_messages == ()  # nothing left the device
    assert server.requests == 0


async def test_a_name_is_redacted_on_the_way_out_and_restored_on_the_way_back(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FaultServer(["ok"]) as server:
        runtime = _runtime(tandem_home, server.url, tiny_gguf, monkeypatch)
        events = await _turn(runtime, "Write a short birthday note for my colleague John Smith.")
        await runtime.aclose()
    route = events[0]
    assert isinstance(route, RouteChosen) and route.decision.endpoint == "cloud"
    assert "PERSON" in route.decision.redactions
    assert route.decision.reason.startswith("redacted then sent")
    sent = b"".join(server.bodies)
    # The placeholder keeps the relation the text gave ("my colleague"), not the name.
    placeholder = "[PERSON_1, a colleague]"
    assert server.requests == 1 and b"John Smith" not in sent and placeholder.encode() in sent
    # The event the detail panel shows carries exactly what the server received.
    shown = route.sent_messages[-1].content
    assert placeholder in shown and "John Smith" not in shown
    assert shown.encode() in sent.decode("unicode_escape").encode()
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.turn.answer == "cloud answer"


async def test_the_guard_blocks_a_protected_value_in_the_exact_bytes(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FaultServer(["ok"]) as server:
        runtime = _runtime(tandem_home, server.url, tiny_gguf, monkeypatch)
        cloud = runtime.pipeline.endpoints["cloud"]
        secret = "Project Falcon launch code 7731"
        ask = [Message(role="user", content=f"summarize: {secret}")]
        with runtime.pipeline.egress_policy.protect([secret]), pytest.raises(EgressBlockedError):
            async for event in cloud.stream(ask, GenerationOptions()):
                assert not isinstance(event, TokenDelta)
        await runtime.aclose()
    assert server.requests == 0
    assert cloud.available()  # a block is not an outage
