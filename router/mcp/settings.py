"""The `[mcp]` settings: which MCP servers the host connects to, and per-tool permissions.

`Settings` gets these with one field (`mcp: McpSettings = McpSettings()`); an
example config:

    [mcp]
    builtin = ["sensors", "files", "camera"]
    default_permission = "ask"

    [[mcp.servers]]
    name = "github"
    url = "https://mcp.example.com/mcp"
    token_env = "GITHUB_MCP_TOKEN"
    tools = { create_issue = "ask", search = "allow" }

    [[mcp.servers]]
    name = "notes"
    command = "notes-mcp"
    args = ["--stdio"]
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Permission = Literal["allow", "ask", "deny"]
"""`allow` runs the tool; `ask` runs it only after the user confirms; `deny` never."""

_NAME = re.compile(r"^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$")


class McpServerSettings(BaseModel):
    """One external MCP server the user listed: a stdio command or a streamable-HTTP URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(
        description="Short name; prefixes the server's tools (`name__tool`). Letters, digits, "
        "`-` and single `_`."
    )
    enabled: bool = Field(default=True, description="Disabled servers are not started.")
    command: str | None = Field(default=None, description="Executable of a stdio server.")
    args: list[str] = Field(default=[], description="Arguments of the stdio command.")
    env: dict[str, str] = Field(default={}, description="Extra environment for the command.")
    url: str | None = Field(default=None, description="Streamable-HTTP endpoint URL.")
    token_env: str | None = Field(
        default=None,
        description="Environment variable holding the bearer token sent to `url` (the token "
        "itself never goes in the config file).",
    )
    permission: Permission | None = Field(
        default=None, description="Permission for this server's tools; the [mcp] default if unset."
    )
    tools: dict[str, Permission] = Field(
        default={}, description="Per-tool permission by the server's own tool name."
    )

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSettings:
        # `__` separates server from tool in the names the models see.
        if not _NAME.match(self.name):
            raise ValueError(f"MCP server name {self.name!r}: use letters, digits, - and single _")
        if (self.command is None) == (self.url is None):
            raise ValueError(f"MCP server {self.name!r}: set exactly one of `command` or `url`")
        return self


class McpSettings(BaseModel):
    """The `[mcp]` section: built-in servers, external servers, permissions and limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(default=True, description="Offer MCP tools to the models at all.")
    builtin: list[str] = Field(
        default=["sensors", "files", "camera"],
        description="Tandem's own servers the chat's host connects to in-process (`sensors`, "
        "`files` only when `roots` are set, `camera` only in the app, which asks the user "
        "before every capture).",
    )
    builtin_permission: Permission = Field(
        default="allow", description="Permission for the built-in servers' tools, unless set."
    )
    default_permission: Permission = Field(
        default="ask", description="Permission for external servers' tools, unless set."
    )
    permissions: dict[str, Permission] = Field(
        default={},
        description="Overrides by prefixed tool name (`sensors__battery`) or server "
        "(`sensors`); the most specific wins.",
    )
    servers: list[McpServerSettings] = Field(default=[], description="External MCP servers.")
    max_tool_rounds: int = Field(
        default=4, ge=0, le=16, description="Most rounds of tool calls in one turn."
    )
    call_timeout_s: float = Field(default=30.0, gt=0, description="Most seconds one call may take.")
    connect_timeout_s: float = Field(
        default=15.0, gt=0, description="Most seconds to connect to one server."
    )
    confirm_timeout_s: float = Field(
        default=120.0, gt=0, description="Most seconds to wait for the user to allow a call."
    )
    max_result_chars: int = Field(
        default=16_000, ge=256, description="Longer tool results are cut to this many characters."
    )
    offer: Literal["relevant", "all"] = Field(
        default="relevant",
        description="`relevant`: offer a turn only the tools its question mentions (fewer prompt "
        "tokens, fewer stray calls by a small model); `all`: every tool on every turn.",
    )
    roots: list[str] = Field(
        default=[],
        description="Folders the built-in `files` server may read (and nothing outside them); "
        "with none, `files` is not started. `tandem mcp serve --root` overrides them.",
    )
    files_write: bool = Field(
        default=False, description="Let the `files` server write, append and move (confirmed)."
    )
    location_enabled: bool = Field(
        default=False, description="Let the `sensors` server report the device's location."
    )
    consent: Literal["per_call", "per_session"] = Field(
        default="per_call",
        description="Camera and tool consent in the app: `per_call` asks every time; "
        "`per_session` also offers to allow a client for the rest of the session.",
    )
