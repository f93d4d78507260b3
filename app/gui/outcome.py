"""How a settings section's last action ended: a red error with its hint, or a notice."""

from __future__ import annotations

from collections.abc import Callable

from router import TandemError


class ActionOutcome:
    """The message line of a settings view-model (models, endpoints, MCP).

    The view-model holds one and reports each action's end through it; the view
    shows `notice` in grey and `error` in red (never both).
    """

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.error: str | None = None
        self.notice = ""
        self._on_change = on_change

    def fail(self, exc: TandemError) -> bool:
        """Show `exc` (with its hint) instead of the last notice; return False."""
        self.error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        self.notice = ""
        self._on_change()
        return False

    def done(self) -> bool:
        """Clear the error after a successful action; return True."""
        self.error = None
        self._on_change()
        return True
