"""The chat's own MCP tool host: Tandem's built-in servers in-process, plus the user's.

A front end with device access of its own (the app, whose client may be a
phone) passes `DeviceBackends`, so the chat's tools read that device's sensors
instead of the host's. The runtime keeps them, so a host rebuilt after a
settings change uses the same devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from router.mcp.build import build_host
from router.mcp.host import ToolHost
from router.mcp.settings import McpSettings
from router.privacy.guard import EgressPolicy

if TYPE_CHECKING:
    from mcp_servers.sensors import SensorsBackend


@dataclass
class DeviceBackends:
    """Where the chat's built-in device tools read from; None means this host's own."""

    sensors: SensorsBackend | None = None


def build_chat_host(
    settings: McpSettings, egress: EgressPolicy, devices: DeviceBackends | None = None
) -> ToolHost:
    """The MCP host over Tandem's own servers (in-process) and the user's; started lazily.

    There is no confirmation dialog here: tools set to `ask`, and files writes, are
    refused until a front end that can ask (the GUI) sets `host.confirm`. The
    `assistant` server is not offered, since its `ask_local` would call back into
    this pipeline.
    """
    # The servers import the pipeline's building blocks; imported here to keep the
    # runtime importable without them loaded.
    from mcp_servers.files import FilesConfig, build_files_server
    from mcp_servers.sensors import build_sensors_server
    from router.mcp.write_confirm import HostWriteConfirm

    devices = devices or DeviceBackends()
    confirm_writes = HostWriteConfirm()
    builtin = {
        "sensors": build_sensors_server(
            location_enabled=settings.location_enabled, backend=devices.sensors
        )
    }
    if settings.roots:
        config = FilesConfig(
            roots=tuple(settings.roots), write_enabled=settings.files_write, confirm=confirm_writes
        )
        builtin["files"] = build_files_server(config)
    wanted = [n for n in settings.builtin if n in builtin or n != "files"]  # files needs roots
    host = build_host(
        settings.model_copy(update={"builtin": wanted}), builtin, egress_policy=egress
    )
    confirm_writes.host = host
    return host
