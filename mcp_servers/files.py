"""The `files` MCP server: list, read, search and stat inside the user's shared folders.

Tools (all paths are virtual, `<shared folder>/<relative path>`; see `paths_guard`):

- `files_list(path="")` -> `Listing`      folders; '' lists the shared folders
- `files_read(path)`                      text, or a binary file as an embedded resource
- `files_search(query, path="", content=False)` -> `SearchResult`
- `files_stat(path)` -> `FileStat`
- `files_write(path, text, overwrite=False)`, `files_append(path, text)`,
  `files_move(source, destination)` -> `WriteResult`: registered only when writes
  are enabled, and each call is confirmed first (see `_approver`).
"""

# No `from __future__ import annotations` here: the write tools are closures whose
# `Annotated[..., Resolve(...)]` parameters the SDK reads with `get_type_hints`,
# which cannot see a closure's locals in string annotations.

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp_types import (
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, Field

from mcp_servers import files_ops
from mcp_servers.files_ops import FileLimits, FileStat, Listing, SearchResult, WriteResult
from mcp_servers.paths_guard import PathGuard
from router.errors import TandemError

_T = TypeVar("_T")
RESOURCE_SCHEME = "tandem-files:///"
"""URI prefix of binary files embedded in files_read results (identifies them; not served)."""


@dataclass(frozen=True)
class WriteRequest:
    """What a write tool is about to do, as the confirmation dialog shows it."""

    op: Literal["write", "append", "move"]
    path: str
    destination: str | None = None
    size: int = 0


ConfirmWrite = Callable[[WriteRequest], Awaitable[bool]]
"""Asks the user (the app's dialog); True allows the one call."""


@dataclass(frozen=True)
class FilesConfig:
    """How the files server behaves: roots, limits and whether writes exist at all."""

    roots: tuple[str, ...]
    write_enabled: bool = False
    confirm: ConfirmWrite | None = None
    """The app's confirmation dialog; when None, MCP elicitation asks the client's user."""
    elicit: bool = True
    """Whether to ask through MCP elicitation when there is no app dialog."""
    limits: FileLimits = field(default_factory=FileLimits)


class WriteApproval(BaseModel):
    """The confirmation a write needs (also the elicitation form clients show)."""

    approve: bool = Field(description="Allow this change to your files?")


def register_files(server: MCPServer[Any], config: FilesConfig) -> list[str]:
    """Add the files tools to `server`; return their names."""
    guard = PathGuard(config.roots)
    limits = config.limits
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    def files_list(path: str = "") -> Listing:
        """List a folder in the shared folders ('' lists the shared folders themselves)."""
        return _guarded(lambda: files_ops.list_folder(guard, path, limits))

    def files_stat(path: str) -> FileStat:
        """Size, kind, modification time and MIME type of a file or folder."""
        return _guarded(lambda: files_ops.stat_path(guard, path))

    def files_search(query: str, path: str = "", content: bool = False) -> SearchResult:
        """Find files by name (substring or glob like '*.md') or, with content=true, by text."""
        return _guarded(lambda: files_ops.search(guard, query, path, content, limits))

    def files_read(path: str) -> CallToolResult:
        """Read a file: text comes back as text, anything else as a resource with its MIME type."""
        loc, data = _guarded(lambda: files_ops.read_file(guard, path, limits))
        text = files_ops.as_text(data)
        if text is not None:
            return CallToolResult(content=[TextContent(type="text", text=text)])
        blob = BlobResourceContents(
            uri=RESOURCE_SCHEME + loc.virtual,
            mime_type=files_ops.guess_mime(loc.real),
            blob=base64.b64encode(data).decode("ascii"),
        )
        return CallToolResult(content=[EmbeddedResource(type="resource", resource=blob)])

    server.add_tool(files_list, annotations=read_only)
    server.add_tool(files_stat, annotations=read_only)
    server.add_tool(files_search, annotations=read_only)
    server.add_tool(files_read, annotations=read_only)
    names = ["files_list", "files_stat", "files_search", "files_read"]
    if config.write_enabled:
        names += _register_writes(server, config, guard)
    return names


def _register_writes(server: MCPServer[Any], config: FilesConfig, guard: PathGuard) -> list[str]:
    limits = config.limits
    ask = _approver(config, guard)

    async def approve_write(ctx: Context, path: str, text: str) -> WriteApproval | Elicit[Any]:
        return await ask(ctx, WriteRequest("write", path, size=len(text.encode())))

    async def approve_append(ctx: Context, path: str, text: str) -> WriteApproval | Elicit[Any]:
        return await ask(ctx, WriteRequest("append", path, size=len(text.encode())))

    async def approve_move(
        ctx: Context, source: str, destination: str
    ) -> WriteApproval | Elicit[Any]:
        return await ask(ctx, WriteRequest("move", source, destination))

    def files_write(
        path: str,
        text: str,
        approval: Annotated[ElicitationResult[WriteApproval], Resolve(approve_write)],
        overwrite: bool = False,
    ) -> WriteResult:
        """Create a text file (or replace one with overwrite=true), after the user confirms."""
        _require(approval)
        return _guarded(lambda: files_ops.write_file(guard, path, text, overwrite, limits))

    def files_append(
        path: str,
        text: str,
        approval: Annotated[ElicitationResult[WriteApproval], Resolve(approve_append)],
    ) -> WriteResult:
        """Append text to a file (created when missing), after the user confirms."""
        _require(approval)
        return _guarded(lambda: files_ops.append_file(guard, path, text, limits))

    def files_move(
        source: str,
        destination: str,
        approval: Annotated[ElicitationResult[WriteApproval], Resolve(approve_move)],
    ) -> WriteResult:
        """Move or rename a file or folder within the shared folders, after the user confirms."""
        _require(approval)
        return _guarded(lambda: files_ops.move_path(guard, source, destination))

    changes = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)
    for tool in (files_write, files_append, files_move):
        server.add_tool(tool, annotations=changes)
    return ["files_write", "files_append", "files_move"]


def _approver(
    config: FilesConfig, guard: PathGuard
) -> Callable[[Context, WriteRequest], Awaitable[WriteApproval | Elicit[Any]]]:
    """Who confirms: the app's dialog; else the client's user by elicitation; else refuse."""

    async def ask(ctx: Context, request: WriteRequest) -> WriteApproval | Elicit[Any]:
        # Syntax and containment are checked before anyone is asked: a user should
        # never be shown a dialog for a path that would be refused anyway.
        if request.op == "move":
            _guarded(lambda: guard.locate(request.path))
        _guarded(lambda: guard.locate_new(request.destination or request.path))
        if config.confirm is not None:
            return WriteApproval(approve=await config.confirm(request))
        if config.elicit and _can_elicit(ctx):
            target = f" to {request.destination}" if request.destination else ""
            return Elicit(f"Allow {request.op} of {request.path}{target}?", WriteApproval)
        return WriteApproval(approve=False)

    return ask


def _can_elicit(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _require(approval: ElicitationResult[WriteApproval]) -> None:
    if isinstance(approval, AcceptedElicitation) and approval.data.approve:
        return
    raise ToolError(
        "the change was not confirmed, so nothing was written; confirm it in Tandem "
        "(changes are refused when nobody can confirm them)"
    )


def _guarded(operation: Callable[[], _T]) -> _T:
    """Run a file operation; Tandem's own errors become the tool's error text."""
    try:
        return operation()
    except TandemError as exc:
        raise ToolError(str(exc)) from None


def build_files_server(config: FilesConfig) -> MCPServer[Any]:
    """A standalone files server (tests, embedding); `tandem mcp serve` combines servers."""
    server: MCPServer[Any] = MCPServer("tandem-files", log_level="WARNING")
    register_files(server, config)
    return server
