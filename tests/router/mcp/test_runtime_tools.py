"""The runtime offers Tandem's own MCP servers to the models, per the `[mcp]` settings."""

from pathlib import Path

from router.endpoints.fake import FakeEndpoint
from router.mcp.settings import McpSettings
from router.paths import TandemPaths
from router.runtime.compose import build_runtime
from router.settings.config import load_settings
from tests.support.pipeline import collect


async def test_the_sensors_server_is_connected_on_the_first_turn_and_closed_at_the_end(
    tandem_home: TandemPaths, tmp_path: Path
) -> None:
    (tmp_path / "shared").mkdir()
    mcp = McpSettings(roots=[str(tmp_path / "shared")])
    settings = load_settings(tandem_home).model_copy(update={"mcp": mcp})
    runtime = build_runtime(
        tandem_home, settings, endpoints={"local": FakeEndpoint(name="local", kind="local")}
    )
    host = runtime.pipeline.tools
    assert host is not None and not host.started
    await collect(runtime.pipeline, "hello", session_id="s")
    names = {t.name for t in host.tools()}
    assert {"sensors__battery", "files__read"} <= names, names
    assert not any(n.startswith("sensors__sensors_") for n in names)  # not prefixed twice
    await runtime.aclose()
    assert host.tools() == ()


def test_mcp_can_be_turned_off(tandem_home: TandemPaths) -> None:
    settings = load_settings(tandem_home).model_copy(update={"mcp": McpSettings(enabled=False)})
    runtime = build_runtime(
        tandem_home, settings, endpoints={"local": FakeEndpoint(name="local", kind="local")}
    )
    assert runtime.pipeline.tools is None
    runtime.ledger.close()
