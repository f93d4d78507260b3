"""Confirmation of the built-in files server's writes through the tool host's dialog.

The files server asks before every write, append or move. Inside the app's tool
host there is no MCP client to elicit from, so the question goes to the same
callback that confirms `ask` tools (`ToolHost.confirm`, which the GUI sets to its
consent dialog). No callback means the write is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from router.mcp.host import SEPARATOR, ToolHost, ToolRequest

if TYPE_CHECKING:
    from mcp_servers.files import WriteRequest

SERVER = "files"


class HostWriteConfirm:
    """A files-server `confirm` callback that asks `host.confirm` (set `host` once built)."""

    def __init__(self, host: ToolHost | None = None) -> None:
        self.host = host

    async def __call__(self, request: WriteRequest) -> bool:
        """True only when the host's dialog allows this change."""
        confirm = self.host.confirm if self.host is not None else None
        if confirm is None:
            return False
        tool = f"{SERVER}_{request.op}"
        arguments: dict[str, object] = {"path": request.path}
        if request.destination is not None:
            arguments["destination"] = request.destination
        if request.size:
            arguments["bytes"] = request.size
        return bool(
            await confirm(
                ToolRequest(
                    name=f"{SERVER}{SEPARATOR}{request.op}",
                    server=SERVER,
                    tool=tool,
                    arguments=arguments,
                    description=f"{request.op} in your shared folders",
                    off_device=False,
                )
            )
        )
