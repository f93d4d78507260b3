"""The app's consent broker: questions for the user ("may X use the camera?") and their answers.

Plain Python, no Flet: anything that needs the user's go-ahead (a camera capture,
a tool set to `ask`, a file write) calls `await broker.ask(request)`; the app's
dialogs (app/gui/services/consent_dialog.py) subscribe, show the oldest pending request
and call `broker.answer(...)`. Refusal is the default: with no dialog to show it
(`can_answer` is False), or with no answer within the timeout, the answer is no.

Scope: `per_call` asks every time; `per_session` also offers "allow for this
session", which lets the same client do the same kind of thing again without
asking until the app restarts (or `forget_session_grants` is called). A request
marked `once` (a tool call that followed untrusted text) is asked every time.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

_log = logging.getLogger(__name__)

ConsentAnswer = Literal["allow", "allow_session", "deny"]
ConsentScope = Literal["per_call", "per_session"]
ConsentKind = Literal["camera", "tool", "files_write"]
Listener = Callable[[], None]
_ids = itertools.count(1)


@dataclass(frozen=True)
class ConsentRequest:
    """One question for the user, as the dialog shows it."""

    kind: ConsentKind
    client: str
    """Who asks, as the user knows it: `Claude Desktop 1.2`, `the local model`."""
    action: str
    """What it wants to do, completing "<client> wants to ...": `take a photo with your camera`."""
    detail: str = ""
    """Extra lines for the dialog: the tool's arguments, the file's path."""
    once: bool = False
    """Ask about this one call, whatever the session's grants: a call that followed text the
    user did not write (a file, a tool result). No grant covers it, and it grants none."""
    id: str = field(default_factory=lambda: f"consent-{next(_ids)}")

    @property
    def session_key(self) -> tuple[str, str]:
        """What an "allow for this session" answer covers: this kind, from this client."""
        return (self.kind, self.client)

    @property
    def question(self) -> str:
        """The sentence the dialog asks."""
        return f"{self.client} wants to {self.action}."


class ConsentBroker:
    """Queues consent requests for the app's dialogs; no answer means no."""

    def __init__(self, *, timeout_s: float = 60.0, scope: ConsentScope = "per_call") -> None:
        self.timeout_s = timeout_s
        """Seconds a request waits for an answer before it is refused."""
        self.scope: ConsentScope = scope
        """`per_call` (the default) or `per_session` (offers "allow for this session")."""
        self._pending: dict[str, tuple[ConsentRequest, asyncio.Future[ConsentAnswer]]] = {}
        self._listeners: list[Listener] = []
        self._grants: set[tuple[str, str]] = set()

    @property
    def pending(self) -> tuple[ConsentRequest, ...]:
        """Requests waiting for an answer, oldest first."""
        return tuple(request for request, _ in self._pending.values())

    @property
    def can_answer(self) -> bool:
        """Whether any dialog is listening (no dialog: every request is refused at once)."""
        return bool(self._listeners)

    @property
    def offers_session(self) -> bool:
        """Whether dialogs offer "allow for this session" (scope `per_session`)."""
        return self.scope == "per_session"

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener()` whenever the pending requests change; returns the unsubscriber."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def ask(self, request: ConsentRequest, *, timeout_s: float | None = None) -> bool:
        """Wait for the user's answer to `request`; True only for an allow.

        Refused at once when no dialog listens; refused when nobody answers within
        `timeout_s` (default `self.timeout_s`) or the waiting task is cancelled.
        """
        if self.offers_session and not request.once and request.session_key in self._grants:
            return True
        if not self.can_answer:
            return False
        future: asyncio.Future[ConsentAnswer] = asyncio.get_running_loop().create_future()
        self._pending[request.id] = (request, future)
        self._notify()
        try:
            answer = await asyncio.wait_for(future, timeout_s or self.timeout_s)
        except TimeoutError:
            answer = "deny"
        finally:
            self._pending.pop(request.id, None)
            self._notify()
        if answer == "allow_session" and self.offers_session and not request.once:
            self._grants.add(request.session_key)
        return answer in ("allow", "allow_session")

    def answer(self, request_id: str, answer: ConsentAnswer) -> bool:
        """Answer a pending request; False when it is no longer pending (timed out, answered)."""
        entry = self._pending.get(request_id)
        if entry is None or entry[1].done():
            return False
        if answer == "allow_session" and not self.offers_session:
            answer = "allow"  # per-call scope: an allow covers this one call only
        entry[1].set_result(answer)
        return True

    def forget_session_grants(self) -> None:
        """Ask again next time for everything allowed "for this session"."""
        self._grants.clear()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                # A dialog on a closed page must not stop the others from showing.
                _log.exception("a consent dialog failed to update")
