"""The record of what left the device: every request a turn sent off it, kept in the ledger.

The pipeline records each request to an off-device endpoint as it leaves (a
turn that stays on the device records nothing), so the chat's detail panel can
show the request message by message for any turn, after a restart too. The
messages are stored exactly as they were sent (already redacted), except that
an attachment keeps only its name, type and size: never its bytes or its path.
Its own table (`sent_requests`, see schema.py) in the ledger's database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from router.ledger.database import Database
from router.types import Attachment, Message, utc_now

SentKind = Literal["route", "escalation"]
"""`route`: the turn's chosen endpoint; `escalation`: a cascade's off-device retry."""


class SentRequest(BaseModel):
    """One request as it left the device for an off-device endpoint."""

    model_config = ConfigDict(frozen=True)

    turn_id: str = Field(description="Ledger id of the turn that sent it.")
    seq: int = Field(ge=0, description="Order among the turn's requests, from 0.")
    endpoint: str = Field(description="Name of the endpoint it went to.")
    kind: SentKind = Field(description="Whether the first route or an escalation sent it.")
    tool_round: int = Field(
        ge=0, description="Tool rounds before it in its attempt (0: the first request)."
    )
    sent_at: datetime = Field(description="When it left.")
    messages: tuple[Message, ...] = Field(
        description="The messages as sent; attachments carry only name, type and size."
    )


def as_recorded(messages: Iterable[Message]) -> tuple[Message, ...]:
    """The messages as the record keeps them: attachments without their path on this device."""
    return tuple(_from_json(_to_json(m)) for m in messages)


def _to_json(message: Message) -> dict[str, Any]:
    stored: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.attachments:
        stored["attachments"] = [
            {"name": a.name, "mime_type": a.mime_type, "size_bytes": a.size_bytes}
            for a in message.attachments
        ]
    if message.tool_calls:
        stored["tool_calls"] = [c.model_dump() for c in message.tool_calls]
    if message.tool_results:
        stored["tool_results"] = [r.model_dump() for r in message.tool_results]
    if message.cache_breakpoint:  # it changes the request (a provider caches the prompt there)
        stored["cache_breakpoint"] = True
    return stored


def _from_json(stored: dict[str, Any]) -> Message:
    attachments = tuple(Attachment(**a) for a in stored.get("attachments", ()))
    return Message.model_validate({**stored, "attachments": attachments})


class SentRecord:
    """The ledger's table of sent requests; shares the ledger's database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        turn_id: str,
        *,
        endpoint: str,
        kind: SentKind,
        tool_round: int,
        messages: Sequence[Message],
    ) -> None:
        """Append a request that left the device to the turn's record."""
        body = json.dumps([_to_json(m) for m in messages], ensure_ascii=False)
        # One statement picks the next seq and inserts, so it is atomic on its own.
        self._db.execute(
            "INSERT INTO sent_requests (turn_id, seq, endpoint, kind, tool_round, "
            "sent_at, messages) SELECT ?, COALESCE(MAX(seq) + 1, 0), ?, ?, ?, ?, ? "
            "FROM sent_requests WHERE turn_id = ?",
            (turn_id, endpoint, kind, tool_round, utc_now().isoformat(), body, turn_id),
        )

    def for_turn(self, turn_id: str) -> tuple[SentRequest, ...]:
        """The requests a turn sent off the device, in order; empty if none left."""
        return self._select("turn_id = ?", turn_id).get(turn_id, ())

    def for_session(self, session_id: str) -> dict[str, tuple[SentRequest, ...]]:
        """Every turn's sent requests in a session, by turn id (turns that sent none: absent)."""
        return self._select("turn_id IN (SELECT id FROM turns WHERE session_id = ?)", session_id)

    def _select(self, where: str, arg: str) -> dict[str, tuple[SentRequest, ...]]:
        rows = self._db.fetchall(
            "SELECT turn_id, seq, endpoint, kind, tool_round, sent_at, messages "
            f"FROM sent_requests WHERE {where} ORDER BY turn_id, seq",
            (arg,),
        )
        found: dict[str, list[SentRequest]] = {}
        for r in rows:
            found.setdefault(r[0], []).append(
                SentRequest(
                    turn_id=r[0],
                    seq=r[1],
                    endpoint=r[2],
                    kind=r[3],
                    tool_round=r[4],
                    sent_at=datetime.fromisoformat(r[5]),
                    messages=tuple(_from_json(m) for m in json.loads(r[6])),
                )
            )
        return {turn_id: tuple(requests) for turn_id, requests in found.items()}


def delete_session_sent(conn: sqlite3.Connection, session_id: str) -> None:
    """Delete a session's sent requests, inside the caller's transaction (before its turns)."""
    conn.execute(
        "DELETE FROM sent_requests WHERE turn_id IN (SELECT id FROM turns WHERE session_id = ?)",
        (session_id,),
    )
