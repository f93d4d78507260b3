"""How a settings section's action ends: a red error with its hint, or success."""

from __future__ import annotations

from collections.abc import Callable

from router.errors import TandemError


class ActionOutcome:
    """Mixed into the settings view-models: they set `notice` and call one of these."""

    on_change: Callable[[], None]
    error: str | None
    notice: str

    def _fail(self, exc: TandemError) -> bool:
        """Show `exc` (with its hint) instead of the last notice; return False."""
        self.error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        self.notice = ""
        self.on_change()
        return False

    def _done(self) -> bool:
        """Clear the error after a successful action; return True."""
        self.error = None
        self.on_change()
        return True
