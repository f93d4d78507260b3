"""The host against a streamable-HTTP server on loopback that requires a bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from router.ledger.store import Ledger
from router.mcp.host import ToolHost
from router.policy.decide import LocalOnlyPolicy
from router.privacy.detectors.base import FunctionDetector
from router.privacy.guard import EgressPolicy
from router.privacy.scan import Scanner
from router.turn.events import ToolCalled
from router.turn.pipeline import TurnPipeline
from router.types import GenerationOptions, ToolCall
from tests.router.mcp.servers import Calls, sensors_server
from tests.router.privacy.test_scan import fake_detect
from tests.support.loopback import served_on_loopback
from tests.support.pipeline import collect
from tests.support.tool_endpoint import ToolEndpoint

TOKEN = "test-token-0123456789"


class _Bearer:
    """Answers 401 to any HTTP request without the right bearer token."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != (
            self.expected
        ):
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def http_server() -> Iterator[tuple[str, Calls]]:
    calls = Calls()
    with served_on_loopback(_Bearer(sensors_server(calls).streamable_http_app(), TOKEN)) as url:
        yield url, calls


async def test_the_token_is_sent_and_tools_work_over_http(http_server: tuple[str, Calls]) -> None:
    url, _ = http_server
    host = ToolHost()
    host.add_http("remote", url, token=TOKEN, permission="allow")
    async with host:
        assert "remote__battery" in {t.name for t in host.tools()}
        assert host.off_device("remote__battery")
        result = await host.call(ToolCall(id="c", name="remote__battery"))
    assert not result.is_error and '"percent": 87.0' in result.content


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_without_the_right_token_the_server_is_skipped(
    http_server: tuple[str, Calls], token: str | None
) -> None:
    url, _ = http_server
    host = ToolHost(connect_timeout_s=10)
    host.add_http("remote", url, token=token)
    async with host:
        assert host.tools() == ()
    assert "remote" in host.errors


async def test_the_egress_guard_blocks_arguments_carrying_protected_values(
    http_server: tuple[str, Calls],
) -> None:
    url, calls = http_server
    policy = EgressPolicy()
    host = ToolHost(egress_policy=policy)
    host.add_http("remote", url, token=TOKEN, permission="allow")
    async with host:
        before = calls.count
        with policy.protect(["4111 1111 1111 1111"]):
            result = await host.call(
                ToolCall(
                    id="c", name="remote__explode", arguments={"reason": "4111 1111 1111 1111"}
                )
            )
        assert result.is_error
        assert calls.count == before  # the request never reached the server
        assert policy.blocked >= 1


async def test_a_local_turn_cannot_send_its_keep_local_values_to_an_http_tool(
    http_server: tuple[str, Calls], tmp_path: Path
) -> None:
    url, calls = http_server
    policy = EgressPolicy()
    host = ToolHost(egress_policy=policy)
    host.add_http("remote", url, token=TOKEN, permission="allow")
    card = "4111 1111 1111 1111"
    local = ToolEndpoint("remote__explode", arguments={"reason": card}, name="local", kind="local")
    pipeline = TurnPipeline(
        offer_all_tools=True,  # these tests are about the loop, not tool choice
        endpoints={"local": local},
        policy=LocalOnlyPolicy(),
        ledger=Ledger(tmp_path / "ledger.db"),
        generation=GenerationOptions(max_tokens=100),
        scanner=Scanner(detectors=[FunctionDetector(fake_detect)]),
        egress_policy=policy,
        tools=host,
    )
    async with host:
        before = calls.count
        events = await collect(pipeline, f"pay with {card}", session_id="s")
    [called] = [e for e in events if isinstance(e, ToolCalled)]
    assert called.result.is_error
    assert calls.count == before


async def test_a_host_built_without_a_policy_still_sends_through_the_guard(
    http_server: tuple[str, Calls],
) -> None:
    url, calls = http_server
    host = ToolHost()  # no policy given: its own, which the guard still consults
    host.add_http("remote", url, token=TOKEN, permission="allow")
    async with host:
        before = calls.count
        with host.egress_policy.protect(["4111 1111 1111 1111"]):
            result = await host.call(
                ToolCall(
                    id="c", name="remote__explode", arguments={"reason": "4111 1111 1111 1111"}
                )
            )
        assert result.is_error
        assert calls.count == before
        assert host.egress_policy.blocked >= 1


async def test_after_a_guard_block_the_model_reads_why_and_later_calls_still_work(
    http_server: tuple[str, Calls],
) -> None:
    url, calls = http_server
    policy = EgressPolicy()
    host = ToolHost(egress_policy=policy)
    host.add_http("remote", url, token=TOKEN, permission="allow")
    card = "4111 1111 1111 1111"
    async with host:
        before = calls.count
        with policy.protect([card]):
            blocked = await host.call(
                ToolCall(id="c", name="remote__explode", arguments={"reason": card})
            )
        assert blocked.is_error and calls.count == before
        assert blocked.content.startswith("remote__explode was not sent: the privacy guard")
        assert card not in blocked.content
        # The block must not cost the server: the next calls reach it.
        for n in range(2):
            result = await host.call(ToolCall(id=f"b{n}", name="remote__battery"))
            assert not result.is_error, result.content
            assert '"percent": 87.0' in result.content
        assert calls.count == before + 2
