"""The turn pipeline: the stages of DESIGN.md, in order, for one chat turn.

    privacy.scan -> policy.decide -> context.pack -> privacy.egress
      -> endpoint.stream -> ledger.commit

`TurnPipeline.run_turn` yields typed events the GUI, the CLI and the MCP
`assistant` server all render the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from router.context.pack import pack
from router.endpoints.base import Endpoint, StreamEnd, TokenDelta
from router.errors import EndpointError, TandemError
from router.ledger import Ledger
from router.policy.decide import Policy, local_decision
from router.privacy import egress, scan
from router.types import (
    GenerationOptions,
    Message,
    PackedContext,
    RouteDecision,
    Turn,
    TurnRequest,
    TurnStatus,
)


class RouteChosen(BaseModel):
    """First event of a turn: where it runs and what it carries."""

    model_config = ConfigDict(frozen=True)

    turn_id: str = Field(description="Ledger id of the turn.")
    decision: RouteDecision = Field(description="The policy's decision, with its reason.")
    input_tokens: int = Field(description="Prompt tokens sent to the endpoint.")
    dropped_turns: int = Field(description="Earlier turns left out of the context.")


class FallbackStarted(BaseModel):
    """The chosen off-device endpoint failed; the device answers the turn instead."""

    model_config = ConfigDict(frozen=True)

    decision: RouteDecision = Field(description="The new route, with the failure as its reason.")
    reason: str = Field(description="What went wrong with the endpoint that failed.")
    withdrawn_text: str = Field(
        description="Text the failed endpoint had streamed; it is replaced, not kept."
    )


class TurnFinished(BaseModel):
    """Last event of a turn: the persisted record."""

    model_config = ConfigDict(frozen=True)

    turn: Turn = Field(description="The turn as the ledger stored it.")


TurnEvent = RouteChosen | TokenDelta | FallbackStarted | TurnFinished


@dataclass
class TurnPipeline:
    """Runs chat turns through the stages, against a set of endpoints and a ledger."""

    endpoints: Mapping[str, Endpoint]
    policy: Policy
    ledger: Ledger
    generation: GenerationOptions
    system_prompt: str = ""

    fallback_to_local: bool = True

    async def run_turn(self, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        """Serve one turn, yielding its events; the turn is persisted however it ends.

        Raises `TandemError` subclasses with a user-facing message for bad input
        (empty or too long prompt) before anything is persisted. An off-device
        endpoint that fails, before or during its answer, hands the turn to the
        device (a `FallbackStarted` event); the ledger keeps only the final answer.
        """
        history = self.ledger.history(request.session_id)
        report = scan.scan(request, history)
        decision = self.policy.decide(request, report, self.endpoints)
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        packed = self._pack(request, history, endpoint)
        if _is_remote(endpoint):
            egress.check_outbound(_outbound_bytes(packed), report)
        self.ledger.ensure_session(request.session_id, title=_title(request.text))
        turn = self.ledger.begin_turn(request.session_id, request.text, request.attachments)
        yield RouteChosen(
            turn_id=turn.id,
            decision=decision,
            input_tokens=packed.input_tokens,
            dropped_turns=packed.dropped_turns,
        )
        attempt = _Attempt(endpoint, packed, decision)
        # aclosing: when our consumer stops early, the inner generators must be closed
        # now (stopping generation, recording the cancel), not whenever GC gets to them.
        async with aclosing(self._stream_and_commit(turn, request, history, attempt)) as events:
            async for event in events:
                yield event

    def _pack(
        self, request: TurnRequest, history: Sequence[Message], endpoint: Endpoint
    ) -> PackedContext:
        return pack(
            request,
            history,
            endpoint,
            system_prompt=self.system_prompt,
            reserve_output_tokens=self.generation.max_tokens,
        )

    async def _fallback(
        self, request: TurnRequest, history: Sequence[Message], failed: _Attempt, reason: str
    ) -> _Attempt | None:
        """The on-device attempt that replaces a failed off-device one, if allowed."""
        if not (self.fallback_to_local and _is_remote(failed.endpoint)):
            return None
        try:
            decision = local_decision(
                request,
                self.endpoints,
                failed.decision.policy,
                f"{failed.endpoint.name} failed ({reason}); answered on this device instead",
            )
        except TandemError:
            return None
        endpoint = self.endpoints[decision.endpoint]
        await endpoint.prepare()
        return _Attempt(endpoint, self._pack(request, history, endpoint), decision)

    async def _stream_and_commit(
        self, turn: Turn, request: TurnRequest, history: Sequence[Message], attempt: _Attempt
    ) -> AsyncGenerator[TurnEvent, None]:
        parts: list[str] = []
        end: StreamEnd | None = None
        try:
            while True:
                try:
                    async with aclosing(
                        attempt.endpoint.stream(attempt.packed.messages, self.generation)
                    ) as stream:
                        async for event in stream:
                            if isinstance(event, TokenDelta):
                                parts.append(event.text)
                                yield event
                            elif isinstance(event, StreamEnd):
                                end = event
                            # Tool calls need a tool host, which arrives with the MCP work.
                    break
                except EndpointError as exc:  # any off-device failure; the device can answer
                    replacement = await self._fallback(request, history, attempt, exc.message)
                    if replacement is None:
                        raise
                    yield FallbackStarted(
                        decision=replacement.decision,
                        reason=exc.message,
                        withdrawn_text="".join(parts),
                    )
                    attempt, parts, end = replacement, [], None
        except (asyncio.CancelledError, GeneratorExit):
            self.ledger.finish_turn(
                turn.id,
                status="cancelled",
                answer="".join(parts),
                route=attempt.decision,
                usage=None,
            )
            raise
        except Exception as exc:
            message = str(exc) if isinstance(exc, TandemError) else f"{type(exc).__name__}: {exc}"
            self.ledger.finish_turn(
                turn.id,
                status="error",
                answer="".join(parts),
                route=attempt.decision,
                usage=None,
                error=message,
            )
            if isinstance(exc, TandemError):
                raise
            raise EndpointError(
                f"{attempt.endpoint.name} failed: {message}", "try again, or pick another model"
            ) from exc
        answer = "".join(parts)
        status: TurnStatus = (
            "cancelled" if end is None or end.finish_reason == "cancelled" else "complete"
        )
        usage = end.usage if end else None
        decision = attempt.decision
        self.ledger.finish_turn(turn.id, status=status, answer=answer, route=decision, usage=usage)
        yield TurnFinished(
            turn=turn.model_copy(
                update={"answer": answer, "route": decision, "usage": usage, "status": status}
            )
        )


@dataclass(frozen=True)
class _Attempt:
    """One endpoint's go at a turn: the endpoint, what it is sent, and why it was chosen."""

    endpoint: Endpoint
    packed: PackedContext
    decision: RouteDecision


def _is_remote(endpoint: Endpoint) -> bool:
    return endpoint.kind not in ("local", "fake")


def _title(text: str, limit: int = 60) -> str:
    """A conversation's title: its first message, on one line, cut at a word."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + "…"


def _outbound_bytes(packed: PackedContext) -> bytes:
    return packed.model_dump_json().encode("utf-8")
