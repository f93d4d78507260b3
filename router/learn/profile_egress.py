"""The one way a profiling request leaves the device: scanned, redacted, guarded, recorded.

`tandem router profile` sends the user's own prompts (and, with a model judge,
prompts that quote them) to the endpoints being profiled. Each request to an
off-device endpoint takes the chat's privacy path, built from the same pieces:

- the text is scanned with the user's rules (`Scanner.scan`); a `keep_local`
  verdict means it is not sent (`NotSent`), so the prompt is profiled on the
  device only; a `keep_mine` one, that it is sent only to an edge marked as the
  user's own (router/privacy/zones.py);
- values a `redact` rule chose are replaced by placeholders (`Pseudonymizer`,
  one session per prompt so its answer and judge requests agree), and the
  answer's placeholders are restored before it is judged;
- every protected value is blocked at the egress guard while the request runs
  (`EgressPolicy.protect`, shared with the endpoints' HTTP clients); a block
  means nothing was sent (`NotSent`);
- what left is recorded (`SentProfileRequest`, written as JSON Lines beside the
  profile), exactly as sent.

Requests to on-device endpoints are not scanned: nothing leaves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from router.endpoints.base import Endpoint, StreamEnd, TokenDelta
from router.errors import EgressBlockedError, EndpointError
from router.ledger.pseudonyms import PseudonymStore
from router.ledger.sent import as_recorded
from router.privacy.guard import EgressPolicy
from router.privacy.redact import Pseudonymizer
from router.privacy.scan import Scanner
from router.privacy.zones import may_reach
from router.types import (
    GenerationOptions,
    Message,
    ProtectedValue,
    TurnRequest,
    Usage,
    utc_now,
)

Purpose = Literal["answer", "judge"]
"""`answer`: a profiled endpoint answers the prompt; `judge`: a model grades an answer."""


class NotSent(Exception):
    """A request that did not leave the device: a rule keeps it local, or the guard blocked it."""


class SentProfileRequest(BaseModel):
    """One profiling request as it left the device for an off-device endpoint."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The prompt's id in the prompts file.")
    endpoint: str = Field(description="Name of the endpoint it went to.")
    purpose: Purpose = Field(description="Whether it asked for an answer or for a grade.")
    sent_at: str = Field(description="When it left (ISO 8601, UTC).")
    messages: tuple[Message, ...] = Field(description="The messages as sent (redacted).")


@dataclass
class EgressCounts:
    """What the privacy path did during a profiling run, for the summary the user reads."""

    sent: int = 0
    """Requests that left the device (each is in the record)."""
    kept_local: set[str] = field(default_factory=set)
    """Ids of prompts with a request not sent because a rule keeps its text on the device
    (or on the user's devices, for a request to the cloud)."""
    redacted: set[str] = field(default_factory=set)
    """Ids of prompts sent with placeholders for values a redact rule chose."""
    blocked: set[str] = field(default_factory=set)
    """Ids of prompts with a request the egress guard stopped (a value slipped past)."""


@dataclass
class ProfileEgress:
    """Sends profiling requests through the privacy path (see the module docstring)."""

    scanner: Scanner
    egress: EgressPolicy
    """The policy the off-device endpoints' guarded HTTP clients check."""
    record: Callable[[SentProfileRequest], None] = lambda _request: None
    counts: EgressCounts = field(default_factory=EgressCounts)
    pseudonyms: PseudonymStore = field(default_factory=PseudonymStore)
    """Placeholders per prompt, in memory: profiling leaves the chat's store alone."""

    async def ask(
        self,
        endpoint: Endpoint,
        text: str,
        options: GenerationOptions,
        *,
        prompt_id: str,
        purpose: Purpose,
    ) -> tuple[str, Usage | None]:
        """`endpoint`'s answer to `text`; raises `NotSent` when the request may not leave."""
        if endpoint.on_device:
            return await generate(endpoint, text, options)
        session = f"profile:{prompt_id}"
        # The scan can load NER's model (seconds): not on the event loop.
        request = TurnRequest(session_id=session, text=text)
        report = await asyncio.to_thread(self.scanner.scan, request, [])
        if not may_reach(report.action, endpoint.zone):
            self.counts.kept_local.add(prompt_id)
            raise NotSent(f"{prompt_id}: {report.reason}")
        pseudonymizer = Pseudonymizer(self.pseudonyms, session)
        pseudonymizer.register(report.redact_values)
        outbound = pseudonymizer.redact(text)
        protected: tuple[ProtectedValue | str, ...] = (
            *report.protected,
            *self.pseudonyms.values(session),
        )
        message = Message(role="user", content=outbound)
        try:
            with self.egress.protect(protected):
                # The guard's own check, before any transport: an endpoint without a
                # guarded HTTP client is covered too.
                payload = message.model_dump_json().encode()
                self.egress.check(payload, endpoint=endpoint.name, zone=endpoint.zone)
                answer, usage = await generate(endpoint, outbound, options)
        except (EgressBlockedError, EndpointError) as exc:
            if not _blocked(exc):
                raise
            self.counts.blocked.add(prompt_id)
            raise NotSent(f"{prompt_id}: blocked at the egress guard") from exc
        self._sent(prompt_id, endpoint.name, purpose, message, redacted=outbound != text)
        return pseudonymizer.restore(answer), usage

    def _sent(
        self, prompt_id: str, endpoint: str, purpose: Purpose, message: Message, *, redacted: bool
    ) -> None:
        self.counts.sent += 1
        if redacted:
            self.counts.redacted.add(prompt_id)
        self.record(
            SentProfileRequest(
                id=prompt_id,
                endpoint=endpoint,
                purpose=purpose,
                sent_at=utc_now().isoformat(),
                messages=as_recorded([message]),
            )
        )


async def generate(
    endpoint: Endpoint, prompt: str, options: GenerationOptions
) -> tuple[str, Usage | None]:
    """One answer and its usage, with no privacy step: `ProfileEgress.ask` is the way out."""
    text, usage = "", None
    async for event in endpoint.stream([Message(role="user", content=prompt)], options):
        if isinstance(event, TokenDelta):
            text += event.text
        elif isinstance(event, StreamEnd):
            usage = event.usage
    return text, usage


def sent_record_writer(path: str | Path) -> Callable[[SentProfileRequest], None]:
    """Append each sent request to `path` as one JSON line (the file is started afresh)."""
    file = Path(path)
    file.write_text("", encoding="utf-8")

    def write(request: SentProfileRequest) -> None:
        with file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(request.model_dump(mode="json"), ensure_ascii=False) + "\n")

    return write


def _blocked(exc: BaseException) -> bool:
    """True when the guard stopped the request, even when an SDK or retry layer wrapped it."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:  # chains can loop
        if isinstance(cause, EgressBlockedError):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False
