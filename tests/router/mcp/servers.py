"""MCP servers the host tests connect to: in-process, or served over HTTP on loopback."""

from __future__ import annotations

import asyncio

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel


class Battery(BaseModel):
    """A typed reading, so the tool has an output schema and structured content."""

    percent: float
    plugged_in: bool


class Calls:
    """Counts tool runs, so a test can tell a refused call never reached the server."""

    def __init__(self) -> None:
        self.count = 0


def sensors_server(calls: Calls | None = None, percent: float = 87.0) -> MCPServer:
    """A `battery` tool with a fixed reading, a tool that raises, and a slow one."""
    server: MCPServer = MCPServer("test-sensors")
    seen = calls or Calls()

    @server.tool()
    def battery() -> Battery:
        """Battery charge of this device, in percent, and whether it is plugged in."""
        seen.count += 1
        return Battery(percent=percent, plugged_in=False)

    @server.tool()
    def explode(reason: str) -> str:
        """Always fails."""
        seen.count += 1
        raise RuntimeError(f"broken: {reason}")

    @server.tool()
    async def slow() -> str:
        """Takes far too long."""
        seen.count += 1
        await asyncio.sleep(30)
        return "late"

    return server


def text_server(name: str, text: str) -> MCPServer:
    """A `read` tool that returns `text` (a statement, a note...)."""
    server: MCPServer = MCPServer(name)

    @server.tool()
    def read() -> str:
        """Read the document."""
        return text

    return server


def notes_server(received: list[str]) -> MCPServer:
    """A `save` tool that records the text it was given."""
    server: MCPServer = MCPServer("notes")

    @server.tool()
    def save(text: str) -> str:
        """Save a note."""
        received.append(text)
        return "saved"

    return server


def files_server(text: str, written: list[str]) -> MCPServer:
    """Named like the built-in `files`: `read` returns `text`, `write` records what it wrote."""
    server: MCPServer = MCPServer("files")

    @server.tool()
    def read(path: str) -> str:
        """Read a file in the shared folders."""
        return text

    @server.tool()
    def write(path: str, text: str) -> str:
        """Write a file in the shared folders."""
        written.append(f"{path}: {text}")
        return "written"

    return server


def mail_server(received: list[dict[str, str]]) -> MCPServer:
    """A `send` tool that records the arguments it was given (to a far-away mailbox)."""
    server: MCPServer = MCPServer("mail")

    @server.tool()
    def send(to: str, body: str) -> str:
        """Send an email."""
        received.append({"to": to, "body": body})
        return "sent"

    return server
