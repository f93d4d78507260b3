"""Getting the chat ready before the first question: the model's weights and the privacy detectors.

Both load off the event loop, so the page stays responsive while they do; a
failure is shown in the chat, never raised. `ChatViewModel` inherits this.
"""

from __future__ import annotations

import asyncio
import logging

from router.errors import TandemError
from router.runtime.compose import Runtime
from router.types import TurnRequest

_log = logging.getLogger(__name__)


class ChatStartup:
    """Loading the model and the privacy detectors for a chat view-model."""

    runtime: Runtime
    session_id: str
    busy: bool
    loading_model: bool
    model_ready: bool
    status: str
    error: str | None
    _privacy_loaded: asyncio.Event | None

    def _changed(self) -> None:
        raise NotImplementedError

    def _show_error(self, message: str) -> None:
        self.error = message
        self.status = "error"

    async def prepare_model(self) -> None:
        """Load the local model's weights now, so the first answer starts quickly.

        Loading runs off the event loop (the endpoint uses a thread), so the
        view stays responsive; a failure is shown, never raised.
        """
        if self.model_ready:
            return
        self.loading_model = True
        self.status = "loading model…"
        self._changed()
        try:
            await self.runtime.local.prepare()
        except TandemError as exc:
            self._show_error(describe_error(exc))
        except Exception as exc:
            self._show_error(describe_unexpected(exc))
        else:
            self.model_ready = True
            if not self.busy:
                self.status = "ready"
        finally:
            self.loading_model = False
            self._changed()

    async def prepare_privacy(self) -> None:
        """Load the privacy detectors (NER models: seconds) in a thread before the first turn.

        The pipeline scans each turn on the event loop; the first scan would load
        the models there and freeze the page, so they are loaded here instead
        and turns wait for this to finish.
        """
        if self._privacy_loaded is not None:
            return
        self._privacy_loaded = asyncio.Event()
        scanner = self.runtime.pipeline.scanner
        probe = TurnRequest(text="Tandem warm-up", session_id=self.session_id)
        try:
            await asyncio.to_thread(scanner.scan, probe, [])
        except Exception:  # the turn's own scan reports the problem to the user
            _log.exception("loading the privacy detectors failed")
        finally:
            self._privacy_loaded.set()

    async def _privacy_ready(self) -> None:
        if self._privacy_loaded is not None and not self._privacy_loaded.is_set():
            self.status = "loading privacy detectors…"
            self._changed()
            await self._privacy_loaded.wait()
            self.status = "generating…" if self.model_ready else "loading model…"


def describe_error(exc: TandemError) -> str:
    """A Tandem error as the chat shows it: what went wrong, then what to do."""
    return f"{exc.message} — {exc.hint}" if exc.hint else exc.message


def describe_unexpected(exc: Exception) -> str:
    """An unexpected error as the chat shows it, with the way out."""
    return f"unexpected error: {type(exc).__name__}: {exc} — try again, or restart Tandem"
