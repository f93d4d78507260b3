"""The chat view-model: conversation state and actions, with no Flet in sight.

The Flet view only renders `ChatViewModel`'s fields and forwards clicks to its
methods, so everything the chat does (streaming, stopping, history, errors) is
tested here without a browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.turn_text import route_label, stats_line
from router.endpoints.base import TokenDelta
from router.errors import TandemError
from router.mcp.turn import ToolResultKeptLocal
from router.runtime import Runtime
from router.session import EscalationStarted, FallbackStarted, RouteChosen, TurnFinished
from router.types import Turn, TurnRequest, TurnStatus, new_id

DisplayRole = Literal["user", "assistant", "error"]


@dataclass
class DisplayMessage:
    """One bubble in the chat: who wrote it, its text, and for answers where it ran."""

    role: DisplayRole
    text: str
    route: str = ""
    """Where the turn ran and why, e.g. `on this device (local) · short question`."""
    stats: str = ""
    """Tokens, speed and latency of the answer, plus how it ended if not complete."""
    status: TurnStatus | None = None
    """The ledger status of the answer's turn; None for user messages and errors."""


def messages_for_turn(turn: Turn) -> list[DisplayMessage]:
    """Return the bubbles a persisted turn shows: the question, then the answer."""
    answer = turn.answer
    if turn.status in ("error", "incomplete") and turn.error:
        answer = f"{answer}\n\n⚠ {turn.error}" if answer else f"⚠ {turn.error}"
    return [
        DisplayMessage(role="user", text=turn.user_text),
        DisplayMessage(
            role="assistant",
            text=answer,
            route=route_label(turn.route) if turn.route else "",
            stats=stats_line(turn.usage, turn.status),
            status=turn.status,
        ),
    ]


class ChatViewModel:
    """State and actions of the chat view, driving the turn pipeline of a `Runtime`.

    `on_change` is called after every state change (each streamed token
    included) so a view can re-render; it must not block.
    """

    def __init__(self, runtime: Runtime, on_change: Callable[[], None] | None = None) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self.messages: list[DisplayMessage] = []
        self.busy = False
        self.loading_model = False
        self.model_ready = False
        self.error: str | None = None
        self.status = "ready"
        # A fresh id is only persisted when its first turn runs, so opening and
        # closing the app does not leave empty conversations behind.
        self.session_id = new_id()
        self._task: asyncio.Task[None] | None = None
        self._stop_requested = False

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def load_history(self) -> None:
        """Show the most recent conversation from the ledger, so a restart continues it."""
        sessions = self.runtime.ledger.sessions()
        self.messages = []
        if sessions:
            self.session_id = sessions[0].id
            for turn in self.runtime.ledger.turns(self.session_id):
                self.messages.extend(messages_for_turn(turn))
        self._changed()

    def new_conversation(self) -> None:
        """Start an empty conversation; the previous one stays in the ledger."""
        if self.busy:
            return
        self.session_id = new_id()
        self.messages = []
        self.error = None
        self.status = "ready"
        self._changed()

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
            self._show_error(_describe(exc))
        except Exception as exc:
            self._show_error(_describe_unexpected(exc))
        else:
            self.model_ready = True
            if not self.busy:
                self.status = "ready"
        finally:
            self.loading_model = False
            self._changed()

    async def send(self, text: str) -> None:
        """Ask `text` in the current conversation and stream the answer into `messages`.

        Blank input, or input while an answer is streaming, is ignored. Errors
        end up in `error` and as an error bubble; they are never raised.
        """
        text = text.strip()
        if not text or self.busy:
            return
        self.error = None
        self.messages.append(DisplayMessage(role="user", text=text))
        reply = DisplayMessage(role="assistant", text="", status="in_progress")
        self.messages.append(reply)
        self.busy = True
        self._stop_requested = False
        self.status = "generating…" if self.model_ready else "loading model…"
        self._changed()
        request = TurnRequest(text=text, session_id=self.session_id)
        self._task = asyncio.create_task(self._run_turn(request, reply))
        try:
            await self._task
        except asyncio.CancelledError:
            # Only swallow the cancellation `stop()` asked for; anything else
            # (the app shutting down) must keep propagating.
            if not self._stop_requested:
                raise
            self._finish_stopped(reply)
        except TandemError as exc:
            self._fail(reply, _describe(exc))
        except Exception as exc:
            self._fail(reply, _describe_unexpected(exc))
        finally:
            self._task = None
            self.busy = False
            if self.error is None:
                self.status = "ready"
            self._changed()

    def stop(self) -> None:
        """Stop the answer being streamed; the ledger keeps it as cancelled."""
        if self._task is not None and not self._task.done() and not self._stop_requested:
            self._stop_requested = True
            self.status = "stopping…"
            self._task.cancel()
            self._changed()

    async def _run_turn(self, request: TurnRequest, reply: DisplayMessage) -> None:
        async for event in self.runtime.pipeline.run_turn(request):
            if isinstance(event, RouteChosen):
                # The pipeline prepares the endpoint before routing, so the
                # model is loaded by now.
                self.model_ready = True
                reply.route = route_label(event.decision)
                self.status = "generating…"
            elif isinstance(event, TokenDelta):
                reply.text += event.text
            elif isinstance(event, FallbackStarted | EscalationStarted):
                # The failed (or unconfident) endpoint's text is withdrawn: the new
                # endpoint's answer replaces it, and the route line says why.
                reply.text = ""
                reply.route = route_label(event.decision)
            elif isinstance(event, ToolResultKeptLocal):
                # The text so far stays; the device continues, and the route says why.
                reply.route = route_label(event.decision)
            elif isinstance(event, TurnFinished):
                turn = event.turn
                reply.text = turn.answer
                reply.status = turn.status
                reply.stats = stats_line(turn.usage, turn.status)
            self._changed()

    def _finish_stopped(self, reply: DisplayMessage) -> None:
        reply.status = "cancelled"
        reply.stats = stats_line(None, "cancelled")

    def _fail(self, reply: DisplayMessage, message: str) -> None:
        # A turn that failed before it was persisted (e.g. a prompt too long)
        # has no answer to keep: its bubble becomes the error itself.
        if reply.text:
            reply.status = "error"
            reply.stats = stats_line(None, "error")
            self.messages.append(DisplayMessage(role="error", text=message))
        else:
            reply.role = "error"
            reply.text = message
            reply.status = None
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.status = "error"


def _describe(exc: TandemError) -> str:
    return f"{exc.message} — {exc.hint}" if exc.hint else exc.message


def _describe_unexpected(exc: Exception) -> str:
    return f"unexpected error: {type(exc).__name__}: {exc} — try again, or restart Tandem"
