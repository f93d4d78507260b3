"""What untrusted text may not decide: a side-effecting tool after it needs the user's yes.

Tool results, attached files, retrieved memory and summaries are data, not
instructions, but a model cannot reliably tell the two apart (AgentDojo's
injections succeed against undefended frontier models). So the decision does
not rest on the model: once such text is in a turn's context, every later call
to a tool with side effects goes through the user's confirmation, whatever its
permission says, and without a confirmation dialog it is refused.
"""

from __future__ import annotations

from router.mcp.settings import Permission

SIDE_EFFECTING = frozenset({"files__write", "files__append", "files__move", "camera__capture"})
"""Built-in tools that change files or sense the world; every other `allow` tool only reads."""


def side_effecting(name: str, permission: Permission) -> bool:
    """Whether a call to `name` may change something: a known built-in, or any tool the
    settings do not simply `allow` (external servers default to `ask`)."""
    return name in SIDE_EFFECTING or permission != "allow"


def confirmation_reason(followed: str) -> str:
    """Why the dialog asks, as the user reads it."""
    return f"this request followed text from {followed}"


def refusal(name: str, followed: str) -> str:
    """The error a model reads when no one could confirm a call that followed untrusted text."""
    return (
        f"{name} refused: needs your confirmation because it followed text from {followed}; "
        "it runs only where the app can ask the user"
    )
