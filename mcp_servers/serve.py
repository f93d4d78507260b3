"""One MCP server process exposing the chosen Tandem servers' tools side by side.

The SDK has no mounting, so each server registers its tools on one `MCPServer`
under its own prefix (`files_*`, `sensors_*`; the assistant's three tools keep
the names the issue gave them, which no other server uses):

- files:     files_list, files_stat, files_search, files_read
             (+ files_write, files_append, files_move when writes are enabled)
- sensors:   sensors_battery, sensors_connectivity, sensors_cpu, sensors_memory,
             sensors_disk, sensors_network, sensors_temperatures, sensors_uptime,
             sensors_location
- camera:    camera_list, camera_capture (each capture confirmed by the user)
- assistant: ask_local, privacy_scan, route_preview
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

from mcp_servers.assistant import AssistantTools, register_assistant
from mcp_servers.camera import CameraConfig, register_camera
from mcp_servers.files import ConfirmWrite, FilesConfig, register_files
from mcp_servers.sensors import SensorsBackend, register_sensors
from router.errors import TandemError

SERVER_NAMES = ("files", "camera", "sensors", "assistant")
ROOTS_ENV = "TANDEM_MCP_ROOTS"
"""Shared folders for the files server, separated by os.pathsep, when --root is not given."""


class ServeError(TandemError):
    """`tandem mcp serve` was asked for something it cannot start."""


@dataclass(frozen=True)
class ServeOptions:
    """What one `tandem mcp serve` exposes."""

    servers: tuple[str, ...] = SERVER_NAMES
    roots: tuple[str, ...] = ()
    write_enabled: bool = False
    confirm: ConfirmWrite | None = None
    location_enabled: bool = False
    camera: CameraConfig | None = field(default=None, compare=False)
    """The app's camera and consent dialog; by default OpenCV on the host, with elicitation."""
    sensors: SensorsBackend | None = field(default=None, compare=False)
    """The app's client sensors (battery, connectivity, motion, location); by default the host's."""
    assistant: AssistantTools | None = field(default=None, compare=False)
    """A service to share (tests, the app); its owner closes it."""
    assistant_factory: Callable[[], AssistantTools] | None = field(default=None, compare=False)
    """Builds a service this server owns and closes when its last client leaves
    (`tandem mcp serve` passes one that builds Tandem's runtime)."""


def roots_from_env() -> tuple[str, ...]:
    """The shared folders named in TANDEM_MCP_ROOTS, if any."""
    raw = os.environ.get(ROOTS_ENV, "")
    return tuple(part for part in raw.split(os.pathsep) if part.strip())


def parse_servers(spec: str | None, have_roots: bool) -> tuple[str, ...]:
    """The servers named in a comma list; by default all whose needs are met."""
    if spec is None:
        return SERVER_NAMES if have_roots else tuple(n for n in SERVER_NAMES if n != "files")
    names = tuple(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    unknown = [n for n in names if n not in SERVER_NAMES]
    if unknown or not names:
        raise ServeError(
            f"unknown MCP server {', '.join(unknown) or '(none)'}",
            f"choose from {', '.join(SERVER_NAMES)}",
        )
    return names


def build_server(
    options: ServeOptions,
    *,
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> tuple[MCPServer[Any], list[str]]:
    """The combined server and the names of its tools."""
    service = _assistant(options)
    owns_service = options.assistant is None

    active = 0

    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[None]:
        # HTTP enters the lifespan once; in-process clients enter it per connection,
        # so the runtime closes only when the last one leaves.
        nonlocal active
        active += 1
        try:
            yield None
        finally:
            active -= 1
            if owns_service and service is not None and active == 0:
                await service.aclose()

    server: MCPServer[Any] = MCPServer(
        "tandem",
        instructions="Tandem: this device's files, sensors and private on-device assistant.",
        token_verifier=token_verifier,
        auth=auth,
        lifespan=lifespan,
        log_level="WARNING",
    )
    tools: list[str] = []
    if "files" in options.servers:
        if not options.roots:
            raise ServeError(
                "the files server needs at least one shared folder",
                f"pass --root DIR (repeatable) or set {ROOTS_ENV}",
            )
        files = FilesConfig(
            roots=options.roots, write_enabled=options.write_enabled, confirm=options.confirm
        )
        tools += register_files(server, files)
    if "camera" in options.servers:
        tools += register_camera(server, options.camera or _host_camera())
    if "sensors" in options.servers:
        tools += register_sensors(
            server, location_enabled=options.location_enabled, backend=options.sensors
        )
    if service is not None:
        tools += register_assistant(server, service)
    return server, tools


def _assistant(options: ServeOptions) -> AssistantTools | None:
    """The service that answers the assistant tools, when that server is asked for."""
    if "assistant" not in options.servers:
        return None
    if options.assistant is not None:
        return options.assistant
    if options.assistant_factory is None:
        raise ServeError(
            "the assistant server needs Tandem's runtime to answer",
            "pass ServeOptions(assistant=...) or assistant_factory (tandem mcp serve does)",
        )
    return options.assistant_factory()


def _host_camera() -> CameraConfig:
    from mcp_servers.camera_opencv import OpenCvBackend

    return CameraConfig(backend=OpenCvBackend())


def tool_names(options: ServeOptions) -> Sequence[str]:
    """The tools `options` would expose (for help text and the config snippet)."""
    return build_server(options)[1]
