"""Every outbound client the runtime builds writes the ledger's record of outbound requests.

One runtime, configured as a user would: a cloud endpoint (a recording
Anthropic-compatible server on loopback), an external MCP server over HTTP, a
shared memory server (a real `chroma run`), a team peer and a profiling judge.
Each is used once; the record must name each of them, and a request the guard
stops must be there as blocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from router.collab.setup import PEER_TOKEN_ENV, team_agents
from router.errors import TandemError
from router.learn.profile_egress import ProfileEgress
from router.learn.profiler import PromptItem, model_judge
from router.ledger.database import Database
from router.ledger.store import Ledger
from router.ledger.wire_log import OutboundRequest, WireLog
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from router.types import GenerationOptions, Message, ToolCall
from tests.router.mcp.servers import Calls
from tests.router.mcp.test_host_http import TOKEN, http_server  # noqa: F401 (a fixture)
from tests.router.memory.conftest import chroma_server  # noqa: F401 (a fixture)
from tests.support.fault_server import FaultServer
from tests.support.pipeline import collect, finished

CARD = "4111 1111 1111 1111"


def _runtime(
    home: TandemPaths, cloud: str, mcp: str, chroma: str, gguf: Path, mp: pytest.MonkeyPatch
) -> Runtime:
    mp.setenv("TANDEM_LOCAL__MODEL", str(gguf))
    mp.setenv("CLOUD_KEY", "sk-ant-api03-outbound-record-test-key-0000000000")
    mp.setenv("MCP_TOKEN", TOKEN)
    mp.setenv(PEER_TOKEN_ENV, TOKEN)
    home.config_file.write_text(
        '[routing]\npolicy = "prefer_remote"\n[generation]\nmax_tokens = 8\n'
        '[[endpoints]]\nname = "cloud"\nkind = "cloud"\napi = "anthropic"\n'
        f'model = "claude-haiku-4-5"\nbase_url = "{cloud}"\napi_key_env = "CLOUD_KEY"\n'
        '[mcp]\nbuiltin = []\n[[mcp.servers]]\nname = "remote"\n'
        f'url = "{mcp}"\ntoken_env = "MCP_TOKEN"\npermission = "allow"\n'
        f'[memory]\nenabled = true\nserver_url = "{chroma}"\ncollection = "outbound-record"\n'
    )
    return build_runtime(home)


async def _use_every_client(runtime: Runtime, mcp_url: str) -> None:
    pipeline = runtime.pipeline
    # A turn to the cloud endpoint; the after-turn hook indexes it on the memory server.
    turn = finished(
        await collect(pipeline, "Tell me a short story about a cat and a dog.", session_id="s")
    ).turn
    assert turn.route is not None and turn.route.endpoint == "cloud"
    # A judge, as `tandem router profile --judge cloud` asks it.
    judge = model_judge(
        pipeline.endpoints["cloud"], ProfileEgress(pipeline.scanner, pipeline.egress_policy)
    )
    await judge(PromptItem(id="p", prompt="What is 2 + 2?"), "4")
    # The external MCP server: a call that leaves, and one the guard stops.
    assert pipeline.tools is not None
    await pipeline.tools.ensure_started()
    assert not (await pipeline.tools.call(ToolCall(id="a", name="remote__battery"))).is_error
    with pipeline.egress_policy.protect([CARD]):
        blocked = ToolCall(id="b", name="remote__explode", arguments={"reason": CARD})
        assert (await pipeline.tools.call(blocked)).is_error
    # A team peer (another device's assistant server); this one has no `ask_local`.
    (peer,) = team_agents(pipeline, [f"peer:{mcp_url}"])
    with pytest.raises(TandemError):
        async for _ in peer.endpoint.stream(
            [Message(role="user", content="hi")], GenerationOptions()
        ):
            pass


async def test_every_outbound_client_the_runtime_builds_writes_the_record(
    tandem_home: TandemPaths,
    tiny_gguf: Path,
    monkeypatch: pytest.MonkeyPatch,
    http_server: tuple[str, Calls],  # noqa: F811
    chroma_server: str,  # noqa: F811
) -> None:
    mcp_url, _ = http_server
    async with FaultServer(["ok"]) as cloud:
        runtime = _runtime(tandem_home, cloud.url, mcp_url, chroma_server, tiny_gguf, monkeypatch)
        await _use_every_client(runtime, mcp_url)
        await runtime.aclose()  # waits for the memory index

    database = Database(tandem_home.ledger_file)
    rows = WireLog(database).recent(limit=1000)
    database.close()
    by_label: dict[str, list[OutboundRequest]] = {}
    for row in rows:
        by_label.setdefault(row.endpoint, []).append(row)
    assert set(by_label) == {
        "cloud",
        "MCP server remote",
        f"memory server {chroma_server}",
        "Tandem peer peer1",
    }
    # The turn and the judge: two requests to the cloud, as the server counted them.
    assert [(r.path, r.status) for r in by_label["cloud"]] == [("/v1/messages", 200)] * 2
    assert cloud.requests == 2
    assert "a cat and a dog" in by_label["cloud"][1].body
    assert any("a cat and a dog" in r.body for r in by_label[f"memory server {chroma_server}"])
    (stopped,) = [r for r in rows if r.outcome == "blocked"]
    assert stopped.endpoint == "MCP server remote" and stopped.body == ""
    assert not any(CARD in r.body for r in rows)

    # The turn's requests (to the cloud, and its memory on the server) belong to its
    # conversation; the judge's, the tools' and the peer's to none.
    story = [r for r in rows if "a cat and a dog" in r.body]
    assert {r.session_id for r in story} == {"s"} and len(story) >= 2
    turn_labels = {"cloud", f"memory server {chroma_server}"}
    assert {r.endpoint for r in rows if r.session_id == "s"} == turn_labels
    assert by_label["cloud"][0].session_id is None  # the judge, newest first
    # Deleting the conversation deletes what it left in the record too.
    ledger = Ledger(tandem_home.ledger_file)
    ledger.delete_session("s")
    assert not any("a cat and a dog" in r.body for r in ledger.outbound.recent(limit=1000))
    ledger.close()
