"""Confirmation of the built-in files server's writes through the tool host's dialog.

The files server asks before every write, append or move. Inside the app's tool
host there is no MCP client to elicit from, so the question goes to the same
callback that confirms `ask` tools (`ToolHost.confirm`, which the GUI sets to its
consent dialog). No callback means the write is refused.

The host may already have asked about the same call: a tool set to `ask`, or a
write that followed untrusted text (router/mcp/untrusted.py), whose dialog
says why. The user is asked once: a change the host's dialog allowed, for the
call running now with the same paths and size, is not asked about again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from router.mcp.host import SEPARATOR, ToolHost, ToolRequest

if TYPE_CHECKING:
    from mcp_servers.files import WriteRequest

SERVER = "files"


class HostWriteConfirm:
    """A files-server `confirm` callback that asks `host.confirm` (set `host` once built)."""

    def __init__(self, host: ToolHost | None = None) -> None:
        self.host = host

    async def __call__(self, request: WriteRequest) -> bool:
        """True only when the host's dialog allows this change (once: see the module)."""
        confirm = self.host.confirm if self.host is not None else None
        if self.host is None or confirm is None:
            return False
        name = f"{SERVER}{SEPARATOR}{request.op}"
        if any(_same_change(request, args) for args in self.host.allowed_running(name)):
            return True  # the user just allowed this very call in the host's dialog
        tool = f"{SERVER}_{request.op}"
        arguments: dict[str, object] = {"path": request.path}
        if request.destination is not None:
            arguments["destination"] = request.destination
        if request.size:
            arguments["bytes"] = request.size
        return bool(
            await confirm(
                ToolRequest(
                    name=name,
                    server=SERVER,
                    tool=tool,
                    arguments=arguments,
                    description=f"{request.op} in your shared folders",
                    off_device=False,
                )
            )
        )


def _same_change(request: WriteRequest, arguments: Mapping[str, Any]) -> bool:
    """Whether `request` is the change a files call with `arguments` makes."""
    if request.op == "move":
        return (arguments.get("source"), arguments.get("destination")) == (
            request.path,
            request.destination,
        )
    text = arguments.get("text")
    return (
        arguments.get("path") == request.path
        and isinstance(text, str)
        and len(text.encode()) == request.size
    )
