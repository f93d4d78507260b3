"""The record of what left the device holds only what left: redacted, never the original.

The runtime, rules, redaction, pseudonyms and ledger are the real ones; a fake
cloud endpoint keeps every request it got (or, in the last test, the real
anthropic SDK sends it to a recording server), and a small regex stands in for
the detectors (the real NER takes seconds to load).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from router.endpoints.fake import FakeEndpoint
from router.ledger.sent import as_recorded
from router.ledger.store import Ledger
from router.paths import TandemPaths
from router.privacy.detectors.base import FunctionDetector
from router.privacy.rules import PrivacyRule, build_rules
from router.privacy.scan import Scanner
from router.runtime.compose import Runtime, build_runtime
from router.turn.events import RouteChosen
from router.types import Attachment, Finding
from tests.router.privacy.test_end_to_end import _runtime as cloud_runtime
from tests.support.fault_server import FaultServer
from tests.support.pipeline import collect, route_chosen

CUSTOMER = "CUST-482913"
RULE = PrivacyRule(
    name="customer ids", types=["CUSTOMER_ID"], action="redact", reason="contains a customer id"
)


def customer_ids(text: str) -> list[Finding]:
    return [
        Finding(type="CUSTOMER_ID", start=m.start(), end=m.end(), confidence=1.0, detector="re")
        for m in re.finditer(r"CUST-\d{6}", text)
    ]


@pytest.fixture
async def runtime(
    tandem_home: TandemPaths, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Runtime]:
    """A runtime that prefers a fake cloud endpoint, with a rule that redacts customer ids."""
    monkeypatch.setenv("TANDEM_ROUTING__POLICY", "prefer_remote")
    endpoints = {
        "local": FakeEndpoint(name="local", kind="local"),
        "cloud": FakeEndpoint(name="cloud", kind="cloud"),
    }
    built = build_runtime(tandem_home, endpoints=endpoints)  # type: ignore[arg-type]
    built.pipeline.scanner = Scanner(
        rules=build_rules([RULE]), detectors=[FunctionDetector(customer_ids)]
    )
    try:
        yield built
    finally:
        await built.aclose()


async def _turn(runtime: Runtime, text: str, *attachments: Attachment) -> RouteChosen:
    events = await collect(runtime.pipeline, text, session_id="s", attachments=attachments)
    return route_chosen(events)


async def test_the_record_is_what_the_cloud_got_and_never_the_redacted_value(
    runtime: Runtime, tmp_path: Path
) -> None:
    ticket = tmp_path / "ticket.txt"
    ticket.write_text(f"Ticket 7: {CUSTOMER} was charged twice in May.")
    attached = Attachment(
        name="ticket.txt",
        mime_type="text/plain",
        size_bytes=ticket.stat().st_size,
        path=str(ticket),
    )
    first = await _turn(runtime, f"Why was {CUSTOMER} charged twice?", attached)
    # The history carries the value too: it must leave redacted in the next request as well.
    second = await _turn(runtime, "What should I tell them?")
    cloud = runtime.pipeline.endpoints["cloud"]
    assert isinstance(cloud, FakeEndpoint) and len(cloud.requests) == 2
    assert first.decision.redactions == ("CUSTOMER_ID",)
    await runtime.aclose()

    ledger = Ledger(runtime.ledger.path)  # read back as after a restart
    for route, received in zip((first, second), cloud.requests, strict=True):
        [request] = ledger.sent.for_turn(route.turn_id)
        assert request.endpoint == "cloud" and request.kind == "route"
        assert request.messages == as_recorded(received)
        text = request.model_dump_json()
        assert CUSTOMER not in text and "[CUSTOMER_ID_1]" in text
    # The question left with its placeholder, the attachment as its name, type and size.
    question = ledger.sent.for_turn(first.turn_id)[0].messages[-1]
    assert question.content == "Why was [CUSTOMER_ID_1] charged twice?"
    [sent_file] = question.attachments
    assert (sent_file.name, sent_file.path) == ("ticket.txt", None)
    history = ledger.sent.for_turn(second.turn_id)[0].messages
    assert "Why was [CUSTOMER_ID_1] charged twice?" in [m.content for m in history]
    # Nor is the value, or where the file lives, anywhere in the stored rows.
    with sqlite3.connect(runtime.ledger.path) as conn:
        rows = conn.execute("SELECT * FROM sent_requests").fetchall()
    assert len(rows) == 2
    assert CUSTOMER not in repr(rows) and str(tmp_path) not in repr(rows)
    ledger.close()


async def test_through_the_anthropic_sdk_the_record_matches_the_bytes_that_left(
    tandem_home: TandemPaths, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FaultServer(["ok"]) as server:
        real = cloud_runtime(tandem_home, server.url, tiny_gguf, monkeypatch)
        real.pipeline.scanner = Scanner(
            rules=build_rules([RULE]), detectors=[FunctionDetector(customer_ids)]
        )
        route = await _turn(real, f"Draft a refund note for {CUSTOMER}.")
        await real.aclose()
    assert route.decision.endpoint == "cloud" and server.requests == 1
    [body] = server.bodies
    wire = json.loads(body)
    ledger = Ledger(real.ledger.path)
    [request] = ledger.sent.for_turn(route.turn_id)
    ledger.close()
    # The SDK sends the system prompt apart and the conversation as `messages`.
    sent = [m for m in request.messages if m.role != "system"]
    assert [m.content for m in sent] == [_text(m["content"]) for m in wire["messages"]]
    assert sent[-1].content == "Draft a refund note for [CUSTOMER_ID_1]."
    assert CUSTOMER.encode() not in body and CUSTOMER not in request.model_dump_json()


def _text(content: str | list[dict[str, str]]) -> str:
    """A wire message's text, whether sent as a string or as content blocks."""
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content)
