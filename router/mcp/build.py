"""Builds a `ToolHost` from the `[mcp]` settings and the app's own servers."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from mcp.server.mcpserver import MCPServer

from router.mcp.host import Confirm, ToolHost
from router.mcp.settings import McpSettings
from router.privacy.guard import EgressPolicy

_log = logging.getLogger(__name__)


def build_host(
    settings: McpSettings,
    builtin: Mapping[str, MCPServer],
    *,
    confirm: Confirm | None = None,
    egress_policy: EgressPolicy | None = None,
    environ: Mapping[str, str] | None = None,
) -> ToolHost:
    """A host (not started) for the enabled built-in and external servers.

    `builtin` maps names to the app's own server objects; the settings choose
    which of them are on. Tokens are read from the environment variables the
    settings name, so they never sit in the config file.
    """
    env = os.environ if environ is None else environ
    host = ToolHost(
        confirm=confirm,
        permissions=settings.permissions,
        egress_policy=egress_policy,
        call_timeout_s=settings.call_timeout_s,
        connect_timeout_s=settings.connect_timeout_s,
        confirm_timeout_s=settings.confirm_timeout_s,
        max_result_chars=settings.max_result_chars,
    )
    for name in settings.builtin:
        server = builtin.get(name)
        if server is None:
            host.errors[name] = "no built-in MCP server by that name"
            _log.warning("[mcp] builtin lists %r, which Tandem does not have", name)
            continue
        host.add_server(name, server, permission=settings.builtin_permission)
    for entry in settings.servers:
        if not entry.enabled:
            continue
        permission = entry.permission or settings.default_permission
        if entry.url is not None:
            token = env.get(entry.token_env) if entry.token_env else None
            if entry.token_env and not token:
                host.errors[entry.name] = f"the environment variable {entry.token_env} is not set"
                continue
            host.add_http(
                entry.name, entry.url, token=token, permission=permission, tools=entry.tools
            )
        elif entry.command is not None:
            host.add_stdio(
                entry.name,
                entry.command,
                entry.args,
                env=entry.env,
                permission=permission,
                tools=entry.tools,
            )
    return host
