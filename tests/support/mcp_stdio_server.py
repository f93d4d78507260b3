"""A tiny MCP server over stdio, for the host's subprocess tests.

Run as `python tests/support/mcp_stdio_server.py`; it writes its pid to the
file named by TANDEM_TEST_PIDFILE so a test can check the process ends.
"""

from __future__ import annotations

import os
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server: MCPServer = MCPServer("stdio-test")


@server.tool()
def battery() -> dict[str, float]:
    """Battery charge of this device, in percent."""
    return {"percent": 42.0}


@server.tool()
def shout(text: str) -> str:
    """Return `text` in capitals."""
    return text.upper()


if __name__ == "__main__":
    pidfile = os.environ.get("TANDEM_TEST_PIDFILE")
    if pidfile:
        Path(pidfile).write_text(str(os.getpid()))
    server.run("stdio")
