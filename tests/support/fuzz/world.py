"""The runtime the egress fuzz runs in: Tandem as the app builds it, the cloud on loopback.

`open_world` writes a config (the shipped defaults, the `prefer_remote` policy so
the privacy rules alone decide what stays local, one Anthropic endpoint at the
loopback `CloudRecorder`, the memory on a `chroma run` behind a `ChromaRecorder`)
and calls `build_runtime` with a scripted device model, then adds the cloud
endpoint with `build_remote_endpoint` and the pipeline's egress policy, as
`build_runtime` does for configured endpoints (the real SDK over the guard's
httpx2 client). Tool cases get an in-process MCP server whose `lookup` tool
returns `World.tool_text`: as text, or as a JSON object (structured content).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from router.endpoints.fake import FakeEndpoint
from router.endpoints.pricing import PriceTable
from router.endpoints.registry import build_remote_endpoint
from router.mcp.host import ToolHost
from router.paths import TandemPaths
from router.runtime.compose import Runtime, build_runtime
from router.settings.config import load_settings
from tests.support.fuzz.wire import ChromaRecorder, CloudRecorder, chroma_behind_recorder

KEY_ENV = "TANDEM_FUZZ_CLOUD_KEY"
_KEY = "sk-ant-api03-fuzz-recorder-key-not-a-secret-000000"  # the recorder ignores it
CONFIG = """\
[routing]
policy = "prefer_remote"

[memory]
server_url = "{memory}"
collection = "fuzz"

[mcp]
enabled = false

[[endpoints]]
name = "cloud"
kind = "cloud"
api = "anthropic"
model = "claude-haiku-4-5"
base_url = "{cloud}"
api_key_env = "{key_env}"
"""


@dataclass
class World:
    """The running app plus the recorders at its two ways out."""

    runtime: Runtime
    cloud: CloudRecorder
    memory: ChromaRecorder
    folder: Path
    tools: dict[str, ToolHost]
    """A host whose `records__lookup` returns text (`text`) or a JSON object (`json`)."""
    tool_text: list[str] = field(default_factory=lambda: ["", ""])
    """What `records__lookup` returns right now: its note, and its topic."""

    @property
    def blocked(self) -> int:
        """Requests the transport guard has refused so far."""
        return self.runtime.pipeline.egress_policy.blocked


def records_server(text: list[str], structured: bool) -> MCPServer:
    """An in-process MCP server whose `lookup` tool returns `text` (note, topic)."""
    server: MCPServer = MCPServer("records")
    if structured:

        @server.tool()
        def lookup() -> dict[str, str]:
            """Look up the customer's record."""
            return {"record": "1172", "note": text[0], "topic": text[1]}

    else:

        @server.tool(name="lookup")
        def lookup_text() -> str:
            """Look up the customer's record."""
            return f"Record 1172. {text[0]} Topic: {text[1]}."

    return server


@contextmanager
def _key_in_env() -> Iterator[None]:
    saved = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = _KEY
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = saved


@asynccontextmanager
async def open_world(folder: Path) -> AsyncIterator[World]:
    """Start the recorders and the runtime in `folder`; close everything after."""
    async with CloudRecorder() as cloud:
        with chroma_behind_recorder(folder / "chroma") as memory, _key_in_env():
            paths = TandemPaths(config_dir=folder / "config", data_dir=folder / "data").ensure()
            paths.config_file.write_text(
                CONFIG.format(memory=memory.url, cloud=cloud.url, key_env=KEY_ENV)
            )
            settings = load_settings(paths)
            device = FakeEndpoint(name="local", kind="local")
            runtime = build_runtime(paths, settings, endpoints={"local": device})
            pipeline = runtime.pipeline
            [remote] = settings.endpoints
            pipeline.endpoints[remote.name] = build_remote_endpoint(
                remote, settings.resilience, paths, PriceTable.load(paths), pipeline.egress_policy
            )
            tool_text = ["", ""]
            tools = {
                fmt: ToolHost(egress_policy=pipeline.egress_policy) for fmt in ("text", "json")
            }
            for fmt, host in tools.items():
                host.add_server("records", records_server(tool_text, structured=fmt == "json"))
            world = World(runtime, cloud, memory, folder, tools, tool_text)
            try:
                yield world
            finally:
                for host in tools.values():
                    await host.aclose()
                await runtime.aclose()
