"""Getting the chat ready before the first question: the model's weights and the privacy detectors.

Both load off the event loop, so the page stays responsive while they do; a
failure is shown in the chat, never raised. `ChatViewModel` holds a `ChatStartup`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from router import Runtime, TandemError, TurnRequest

_log = logging.getLogger(__name__)


class ChatStartup:
    """Loading the model and the privacy detectors for one chat view-model, once each.

    The view-model holds one, says what the chat shows meanwhile (its status
    line) and turns a failure into an error bubble.
    """

    def __init__(self, runtime: Runtime, on_change: Callable[[], None]) -> None:
        self.runtime = runtime
        self.loading_model = False
        self.model_ready = False
        self._on_change = on_change
        self._privacy_loaded: asyncio.Event | None = None
        """Set once `load_privacy` ran; None if it never started (turns load on demand)."""

    async def load_model(self) -> str | None:
        """Load the local model's weights; return the error to show, or None when loaded.

        Loading runs off the event loop (the endpoint uses a thread), so the
        view stays responsive; a failure is returned, never raised.
        """
        self.loading_model = True
        self._on_change()
        try:
            await self.runtime.local.prepare()
        except TandemError as exc:
            return describe_error(exc)
        except Exception as exc:
            return describe_unexpected(exc)
        else:
            self.model_ready = True
            return None
        finally:
            self.loading_model = False

    async def load_privacy(self, session_id: str) -> None:
        """Load the privacy detectors (NER models: seconds) in a thread, once.

        The pipeline scans each turn on the event loop; the first scan would load
        the models there and freeze the page, so they are loaded here instead
        and turns wait for this to finish (`privacy_ready`).
        """
        if self._privacy_loaded is not None:
            return
        self._privacy_loaded = asyncio.Event()
        scanner = self.runtime.pipeline.scanner
        probe = TurnRequest(text="Tandem warm-up", session_id=session_id)
        try:
            await asyncio.to_thread(scanner.scan, probe, [])
        except Exception:  # the turn's own scan reports the problem to the user
            _log.exception("loading the privacy detectors failed")
        finally:
            self._privacy_loaded.set()

    @property
    def privacy_loading(self) -> bool:
        """Whether the detectors are loading now (a turn must wait for them)."""
        return self._privacy_loaded is not None and not self._privacy_loaded.is_set()

    async def privacy_ready(self) -> None:
        """Wait until the detectors are loaded, if they are loading."""
        if self._privacy_loaded is not None:
            await self._privacy_loaded.wait()


def describe_error(exc: TandemError) -> str:
    """A Tandem error as the chat shows it: what went wrong, then what to do."""
    return f"{exc.message} — {exc.hint}" if exc.hint else exc.message


def describe_unexpected(exc: Exception) -> str:
    """An unexpected error as the chat shows it, with the way out."""
    return f"unexpected error: {type(exc).__name__}: {exc} — try again, or restart Tandem"
