"""The record of outbound requests: every HTTP request Tandem let off the device, at the wire.

The egress guard's transports (router/privacy/guard.py, and the memory server's
in router/memory/wire.py) write a row here for every request they pass, before
it is handed to the network: if the row cannot be written, the request is not
sent, so nothing leaves unrecorded. The row is then settled with the response's
status, or marked `failed` when the network gave none (it may or may not have
reached the server). A request the guard stopped is kept as `blocked`, without
its body. Where `sent_requests` (sent.py) keeps a turn's messages, this keeps
every request of every client: endpoints, judges, MCP servers, peers, the memory
server and endpoint tests alike.

What is kept: the time, the label the client was made with (an endpoint or
server name), the method, host (and port) and path, the body's size and the body
itself, which passed the guard and so holds no protected value. Not kept: the
headers (they carry API keys), the query string and any user info in the URL
(they can carry keys too). Bodies are stored up to `BODY_CAP_BYTES`, and only
the latest `MAX_ROWS` rows are kept; both are priors, set by hand.

A request made for a conversation (inside `outbound_session`, which the turn
pipeline enters for each turn) carries its session id, so deleting the
conversation deletes its rows here too; others (profiling, endpoint tests,
connecting to MCP servers) belong to none and age out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from router.ledger.database import Database
from router.types import utc_now

Outcome = Literal["sent", "failed", "blocked"]
"""`sent`: it left and was answered (or is being answered); `failed`: it was handed to
the network, which gave no response; `blocked`: the egress guard stopped it."""

BODY_CAP_BYTES = 16_384
"""How much of a body is stored (a prior: a chat request's JSON fits; attachments do not)."""
MAX_ROWS = 5_000
"""How many of the latest requests are kept (a prior: weeks of ordinary use)."""


_SESSION: ContextVar[str | None] = ContextVar("tandem_outbound_session", default=None)


@contextmanager
def outbound_session(session_id: str) -> Iterator[None]:
    """Attribute the requests made inside to a conversation (tasks started inside too).

    The previous value is put back on exit rather than reset by token, so a turn's
    generator that is closed from another context cannot fail here.
    """
    previous = _SESSION.get()
    _SESSION.set(session_id)
    try:
        yield
    finally:
        _SESSION.set(previous)


class OutboundRequest(BaseModel):
    """One request as the guarded transport saw it leave, or stopped it."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(description="Row id, increasing with time.")
    sent_at: datetime = Field(description="When it was handed to the network (or blocked).")
    session_id: str | None = Field(description="The conversation it was made for, if any.")
    endpoint: str = Field(description="The label its client was made with.")
    method: str = Field(description="HTTP method.")
    host: str = Field(description="Host, with the port when the URL names one.")
    path: str = Field(description="URL path, without the query string.")
    size_bytes: int = Field(ge=0, description="Size of the whole body.")
    outcome: Outcome = Field(description="Whether it left, failed on the network, or was blocked.")
    status: int | None = Field(description="The response's HTTP status, when one came.")
    body: str = Field(description="The body as sent (UTF-8), up to the cap; empty when blocked.")
    body_truncated: bool = Field(description="Whether `body` is cut at `BODY_CAP_BYTES`.")


class WireLog:
    """The ledger's table of outbound requests; shares the ledger's database."""

    def __init__(self, db: Database, *, max_rows: int = MAX_ROWS) -> None:
        """Keep rows in `db`, at most the latest `max_rows` of them."""
        self._db = db
        self._max_rows = max_rows

    def record(
        self,
        *,
        endpoint: str,
        method: str,
        url: str,
        size: int,
        body: bytes | None,
        outcome: Outcome = "sent",
    ) -> int:
        """Add a request (`body` None: not kept, as for a blocked one); return its row id."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        kept = b"" if body is None or outcome == "blocked" else body
        # Cut at the cap; a character the cut splits is dropped, not mangled.
        text = kept[:BODY_CAP_BYTES].decode("utf-8", errors="ignore")
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO outbound_requests (sent_at, session_id, endpoint, method, host, "
                "path, size, outcome, status, body, truncated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (
                    utc_now().isoformat(),
                    _SESSION.get(),
                    endpoint,
                    method,
                    host,
                    parts.path or "/",
                    size,
                    outcome,
                    text,
                    int(len(kept) > BODY_CAP_BYTES),
                ),
            )
            row = int(cursor.lastrowid or 0)
            conn.execute("DELETE FROM outbound_requests WHERE id <= ?", (row - self._max_rows,))
        return row

    def settle(self, row: int, *, status: int | None = None, failed: bool = False) -> None:
        """Note how a request that left ended: its response status, or a network failure."""
        self._db.execute(
            "UPDATE outbound_requests SET status = ?, outcome = ? WHERE id = ?",
            (status, "failed" if failed else "sent", row),
        )

    def recent(self, limit: int = 50) -> list[OutboundRequest]:
        """The latest `limit` requests, newest first."""
        rows = self._db.fetchall(
            "SELECT id, sent_at, session_id, endpoint, method, host, path, size, outcome, "
            "status, body, truncated FROM outbound_requests ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            OutboundRequest(
                id=r[0],
                sent_at=datetime.fromisoformat(r[1]),
                session_id=r[2],
                endpoint=r[3],
                method=r[4],
                host=r[5],
                path=r[6],
                size_bytes=r[7],
                outcome=r[8],
                status=r[9],
                body=r[10],
                body_truncated=bool(r[11]),
            )
            for r in rows
        ]
