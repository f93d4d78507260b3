"""The chat view-model: conversation state and actions, with no Flet in sight.

The Flet view only renders `ChatViewModel`'s fields and forwards clicks to its
methods, so everything the chat does (streaming, stopping, history, errors) is
tested here without a browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from app.gui.chat.attachments import AttachmentsViewModel
from app.gui.chat.detail.names import NameTeacher
from app.gui.chat.feedback import restore
from app.gui.chat.feedback_actions import FeedbackActions
from app.gui.chat.messages import DisplayMessage, DisplayRole, messages_for_turn
from app.gui.chat.startup import ChatStartup, describe_error, describe_unexpected
from app.gui.chat.stream import AnswerStream, placeholders_of, sent_text_of
from app.gui.chat.team_mode import TEAM_TEXT_ONLY, ChatTeam
from app.gui.services.feedback import feedback_for
from app.gui.team.view_model import TeamConfig
from app.present.turn import stats_line
from router import RouteChosen, Runtime, TandemError, TurnRequest, new_id
from router.turn.events import TurnEvent

__all__ = ["ChatViewModel", "DisplayMessage", "DisplayRole", "messages_for_turn"]


class ChatViewModel(FeedbackActions):
    """State and actions of the chat view, driving the turn pipeline of a `Runtime`.

    The thumbs and re-answer actions of its answers are `FeedbackActions`'.

    `on_change` is called after every state change (each streamed token
    included) so a view can re-render; it must not block.
    """

    def __init__(
        self,
        runtime: Runtime,
        on_change: Callable[[], None] | None = None,
        team_config: TeamConfig | None = None,
    ) -> None:
        self.runtime = runtime
        self.on_change = on_change
        self.messages: list[DisplayMessage] = []
        self.busy = False
        self.turns_ended = 0
        """How many questions have ended (answered, stopped or failed) in this view."""
        self.startup = ChatStartup(runtime, self._changed)
        """Loads the model's weights and the privacy detectors before the first question."""
        self.error: str | None = None
        self.status = "ready"
        self.detail_index: int | None = None
        """Which answer's detail panel is open, as an index into `messages`."""
        self.names = NameTeacher(runtime, on_change=self._changed)
        """The names in the open answer's question, and the user's lessons on them."""
        self.attachments = AttachmentsViewModel(
            lambda: runtime.pipeline.scanner,
            runtime.paths.data_dir / "attachments",
            on_change=self._changed,
        )
        # A fresh id is only persisted when its first turn runs, so opening and
        # closing the app does not leave empty conversations behind.
        self.session_id = new_id()
        self.team = ChatTeam(runtime, team_config)
        """Team mode: off by default; on, the Team section's team answers (`set_team_mode`)."""
        self.feedback = feedback_for(runtime)
        """Ratings and re-answers of the answers, in the ledger (app/gui/chat/feedback.py)."""
        self._task: asyncio.Task[None] | None = None
        self._stop_requested = False
        self._stream: AnswerStream | None = None

    @property
    def model_ready(self) -> bool:
        """Whether the local model's weights are loaded."""
        return self.startup.model_ready

    @property
    def loading_model(self) -> bool:
        """Whether the local model's weights are loading now."""
        return self.startup.loading_model

    async def prepare_model(self) -> None:
        """Load the local model's weights now, so the first answer starts quickly.

        The page stays responsive meanwhile; a failure is shown, never raised.
        """
        if self.startup.model_ready:
            return
        self.status = "loading model…"
        error: str | None = None
        try:
            error = await self.startup.load_model()
        finally:  # cancelled too: the spinner must not stay on
            if error is not None:
                self._show_error(error)
            elif self.startup.model_ready and not self.busy:
                self.status = "ready"
            self._changed()

    async def prepare_privacy(self) -> None:
        """Load the privacy detectors in a thread before the first turn (see `ChatStartup`)."""
        await self.startup.load_privacy(self.session_id)

    async def _privacy_ready(self) -> None:
        if self.startup.privacy_loading:
            self.status = "loading privacy detectors…"
            self._changed()
            await self.startup.privacy_ready()
            self.status = "generating…" if self.model_ready else "loading model…"

    def _show_error(self, message: str) -> None:
        self.error = message
        self.status = "error"

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def load_history(self) -> None:
        """Show the most recent conversation from the ledger, so a restart continues it."""
        sessions = self.runtime.ledger.sessions()
        if sessions:
            self.open_conversation(sessions[0].id)
        else:
            self.messages = []
            self._changed()

    def open_conversation(self, session_id: str) -> None:
        """Show a conversation of the ledger; later questions continue it."""
        if self.busy:
            return
        self.session_id = session_id
        placeholders = self._placeholders()
        self.messages = []
        recorded = self.runtime.ledger.sent.for_session(session_id)
        for turn in self.runtime.ledger.turns(session_id):
            sent = self._sent_text(turn.user_text)
            bubbles = messages_for_turn(turn, placeholders, sent, recorded.get(turn.id, ()))
            self.messages.extend(restore(turn, bubbles, self.feedback.store, self.messages))
        self.detail_index = None
        self.error = None
        self.status = "ready"
        self._changed()

    def new_conversation(self) -> None:
        """Start an empty conversation; the previous one stays in the ledger."""
        if self.busy:
            return
        self.session_id = new_id()
        self.messages = []
        self.detail_index = None
        self.error = None
        self.status = "ready"
        self._changed()

    def show_detail(self, index: int | None) -> None:
        """Open the detail panel of the answer at `index` (None closes it)."""
        if index is not None and not (
            0 <= index < len(self.messages) and self.messages[index].detail is not None
        ):
            return
        self.detail_index = index
        question = self.messages[index - 1] if index else None
        self.names.load(question.text if question and question.role == "user" else "")
        self._changed()

    @property
    def detail(self) -> DisplayMessage | None:
        """The answer whose detail panel is open, if any."""
        if self.detail_index is None or self.detail_index >= len(self.messages):
            return None
        return self.messages[self.detail_index]

    @property
    def can_send(self) -> bool:
        """False while an answer streams or an attached file is still being checked."""
        return not self.busy and not self.attachments.checking

    def _placeholders(self) -> dict[str, str]:
        return placeholders_of(self.runtime, self.session_id)

    def _sent_text(self, text: str) -> str:
        """The question as the pipeline redacts it for an off-device endpoint."""
        return sent_text_of(self.runtime, self.session_id, text)

    async def send(self, text: str) -> None:
        """Ask `text` in the current conversation and stream the answer into `messages`.

        Blank input, or input while an answer is streaming, is ignored. Errors
        end up in `error` and as an error bubble; they are never raised. In team
        mode the page's team answers instead of one model (`team_mode.py`).
        """
        text = text.strip()
        if not text or not self.can_send:
            return
        if self.team.enabled and self.attachments.chips:
            self._show_error(TEAM_TEXT_ONLY)
            self._changed()
            return
        self.error = None
        chips = self.attachments.take()
        question = DisplayMessage(role="user", text=text, chips=chips)
        reply = DisplayMessage(role="assistant", text="", status="in_progress")
        self.messages += [question, reply]
        attached = tuple(c.attachment for c in chips)
        request = TurnRequest(text=text, session_id=self.session_id, attachments=attached)
        if self.team.enabled:
            await self._drive(self._team_turn(request, reply), reply)
        else:
            events = self.runtime.pipeline.run_turn(request)
            await self._drive(self._run_turn(events, question, reply), reply)

    async def _drive(self, work: Coroutine[Any, Any, None], reply: DisplayMessage) -> None:
        """Run `work`, the turn streaming into `reply`, as a task `stop` can cancel.

        Errors end up in `error` and in the bubble; they are never raised.
        """
        self.busy = True
        self._stop_requested = False
        self.status = "generating…" if self.model_ready else "loading model…"
        self._changed()
        self._task = asyncio.create_task(work)
        try:
            await self._task
        except asyncio.CancelledError:
            # Only swallow the cancellation `stop()` asked for; anything else
            # (the app shutting down) must keep propagating.
            if not self._stop_requested:
                raise
            self._finish_stopped(reply)
        except TandemError as exc:
            self._fail(reply, describe_error(exc))
        except Exception as exc:
            self._fail(reply, describe_unexpected(exc))
        finally:
            if self._stream is not None:
                self._stream.record_outcome()
                self._stream = None
            self._task = None
            self.busy = False
            self.turns_ended += 1
            if self.error is None:
                self.status = "ready"
            self._changed()

    def set_team_mode(self, on: bool) -> None:
        """Switch team mode (ignored mid-answer): on, a team answers each question."""
        if not self.busy and on != self.team.enabled:
            self.team.enabled = on
            self._changed()

    def stop(self) -> None:
        """Stop the answer being streamed; the ledger keeps it cancelled (team runs: not kept)."""
        if self._task is not None and not self._task.done() and not self._stop_requested:
            self._stop_requested = True
            self.status = "stopping…"
            self._task.cancel()
            self._changed()

    async def _team_turn(self, request: TurnRequest, reply: DisplayMessage) -> None:
        """Team mode: the page's team answers, recorded in this conversation (`team_mode`)."""
        await self._privacy_ready()  # the team's privacy scan needs the detectors too

        def progress(step: str) -> None:
            self.status = f"team: {step}"
            self._changed()

        await self.team.answer(request.text, self.session_id, reply, progress)

    async def _run_turn(
        self, events: AsyncIterator[TurnEvent], question: DisplayMessage, reply: DisplayMessage
    ) -> None:
        """Stream a turn's `events` into `question`'s and `reply`'s bubbles."""
        await self._privacy_ready()
        stream = self._stream = AnswerStream(self.runtime, self.session_id, question, reply)
        async for event in events:
            if isinstance(event, RouteChosen):
                # The pipeline prepares the endpoint before routing, so the
                # model is loaded by now.
                self.startup.model_ready = True
                self.status = "generating…"
            stream.apply(event)
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
