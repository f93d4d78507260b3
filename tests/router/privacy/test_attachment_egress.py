"""Attachments at the wire: what the scan could not read stays local, what it read is sent.

Each turn runs the real pipeline with a cloud endpoint whose requests pass through
the real egress guard (`tests.support.wire`), so the assertions are about the
bytes that would leave the device.
"""

import asyncio
import io
import itertools
from pathlib import Path

import docx
from pypdf import PdfWriter

from router.endpoints.fake import FakeEndpoint, echo_responder, words
from router.endpoints.function import EndpointCall, FunctionEndpoint, StreamHandler
from router.endpoints.remote_common import ImagePart, load_attachment
from router.policy.decide import PreferRemotePolicy
from router.privacy.detectors.base import Detector, FunctionDetector
from router.privacy.detectors.registry import default_detectors
from router.privacy.guard import EgressPolicy
from router.privacy.scan import Scanner
from router.turn.events import FallbackStarted
from router.turn.pipeline import TurnPipeline
from router.types import Attachment, GenerationOptions, RouteDecision
from tests.router.privacy.test_scan import fake_detect
from tests.support.pipeline import collect, finished, make_pipeline
from tests.support.wire import Wire

CARD = "4111 1111 1111 1111"
EMAIL = "alice@example.org"
_SESSIONS = itertools.count()


def _through_the_wire(wire: Wire) -> StreamHandler:
    async def handle(call: EndpointCall) -> list[str]:
        body = []
        for m in call.messages:
            files = [load_attachment(a) for a in m.attachments]
            sent = [f.data_b64 if isinstance(f, ImagePart) else f.text for f in files]
            body.append({"role": m.role, "content": m.content, "files": sent})
        await wire.post({"messages": body})
        return words(echo_responder(call.messages))

    return handle


def _pipeline(tmp: Path, detectors: list[Detector] | None = None) -> tuple[TurnPipeline, Wire]:
    policy = EgressPolicy()
    cloud = Wire(policy)
    pipeline = make_pipeline(
        tmp,
        endpoints={
            "local": FakeEndpoint(name="local"),
            "cloud": FunctionEndpoint(_through_the_wire(cloud), name="cloud", kind="cloud"),
        },
        policy=PreferRemotePolicy(),
        generation=GenerationOptions(max_tokens=200),
        scanner=Scanner(detectors=detectors or [FunctionDetector(fake_detect)]),
        egress_policy=policy,
    )
    return pipeline, cloud


def _file(tmp: Path, name: str, data: bytes, mime: str) -> Attachment:
    path = tmp / name
    path.write_bytes(data)
    return Attachment(name=name, mime_type=mime, size_bytes=len(data), path=str(path))


def _turn(pipeline: TurnPipeline, text: str, *files: Attachment) -> RouteDecision:
    # A session of its own, so an earlier turn's history cannot decide this one.
    session = f"s{next(_SESSIONS)}"
    events = asyncio.run(collect(pipeline, text, session_id=session, attachments=files))
    assert not any(isinstance(e, FallbackStarted) for e in events)
    route = finished(events).turn.route
    assert route is not None
    return route


def _unreadable(name: str) -> str:
    return f"kept local: {name} could not be read, so it could not be checked"


def test_a_text_file_that_starts_like_a_pdf_is_not_sent_raw(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path)
    notes = _file(tmp_path, "notes.txt", f"%PDF-1.7 pay with {CARD}\n".encode(), "text/plain")
    route = _turn(pipeline, "summarize the file", notes)
    assert route.endpoint == "local" and route.reason == _unreadable("notes.txt")
    assert cloud.sent == []


def test_a_corrupt_pdf_is_kept_local_with_the_reason(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path)
    report = _file(tmp_path, "report.pdf", b"%PDF-1.4 garbage \x00\x01", "application/pdf")
    route = _turn(pipeline, "summarize the report", report)
    assert route.endpoint == "local" and route.reason == _unreadable("report.pdf")
    assert cloud.sent == []


def test_a_corrupt_docx_is_kept_local_with_the_reason(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path)
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    letter = _file(tmp_path, "letter.docx", b"PK\x03\x04 not really a zip", mime)
    route = _turn(pipeline, "summarize the letter", letter)
    assert route.endpoint == "local" and route.reason == _unreadable("letter.docx")
    assert cloud.sent == []


def test_a_utf16_or_utf32_text_file_with_a_card_is_found_and_kept_local(tmp_path: Path) -> None:
    for codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        pipeline, cloud = _pipeline(tmp_path / codec)
        data = f"pay with {CARD} please".encode(codec)
        if codec.endswith(("-le", "-be")):
            bom = "\ufeff".encode(codec)
            data = bom + data
        notes = _file(tmp_path / codec, "notes.txt", data, "text/plain")
        route = _turn(pipeline, "summarize the file", notes)
        assert route.endpoint == "local", codec
        assert route.reason == "kept local: contains a card number", codec
        assert cloud.sent == [], codec


def test_text_claimed_to_be_an_image_is_scanned_as_text(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path)
    fake_png = _file(tmp_path, "pic.png", f"card {CARD}".encode(), "image/png")
    route = _turn(pipeline, "what is in the picture", fake_png)
    assert route.endpoint == "local" and route.reason == "kept local: contains a card number"
    assert cloud.sent == []


def test_a_redacted_turn_keeps_the_policys_own_reason(tmp_path: Path) -> None:
    # The privacy note comes first; what the policy weighed (for example the
    # user's ratings) must still be said after it.
    pipeline, _ = _pipeline(tmp_path)
    route = _turn(pipeline, f"write to {EMAIL} about the meeting")
    assert route.endpoint == "cloud"
    assert route.reason.startswith("redacted then sent: ")
    assert route.reason.endswith("; preferred off-device endpoint")


def test_a_toml_attachment_is_redacted_and_the_cloud_still_answers(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path)
    config = _file(
        tmp_path, "app.toml", f'[owner]\nemail = "{EMAIL}"\n'.encode(), "application/toml"
    )
    route = _turn(pipeline, "is this config valid", config)
    assert route.endpoint == "cloud" and route.reason.startswith("redacted then sent: ")
    wire = b"".join(cloud.sent)
    assert EMAIL.encode() not in wire and b"[EMAIL_ADDRESS_1]" in wire
    assert b"[owner]" in wire  # the file itself went, redacted
    assert pipeline.egress_policy.blocked == 0


def test_a_utf16_text_file_is_sent_decoded(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path)
    notes = _file(tmp_path, "notes.txt", "meeting moved to Tuesday".encode("utf-16"), "text/plain")
    route = _turn(pipeline, "summarize the file", notes)
    assert route.endpoint == "cloud"
    assert b"meeting moved to Tuesday" in b"".join(cloud.sent)


def test_ordinary_questions_and_a_normal_pdf_still_go_to_the_cloud(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path, default_detectors(ner=False))
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    buf = io.BytesIO()
    writer.write(buf)
    pdf = _file(tmp_path, "blank.pdf", buf.getvalue(), "application/pdf")
    document = docx.Document()
    document.add_paragraph("Agenda for the team meeting")
    out = io.BytesIO()
    document.save(out)
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    agenda = _file(tmp_path, "agenda.docx", out.getvalue(), mime)
    for text, files in (
        ("What is the capital of France? Please answer briefly.", ()),
        ("Quelle est la capitale de la France ? Merci beaucoup.", ()),
        ("Summarize this document please.", (pdf, agenda)),
    ):
        assert _turn(pipeline, text, *files).endpoint == "cloud", text
    assert len(cloud.sent) == 3 and pipeline.egress_policy.blocked == 0


def test_obfuscated_card_numbers_in_the_prompt_never_leave(tmp_path: Path) -> None:
    import base64
    import urllib.parse

    pipeline, cloud = _pipeline(tmp_path, default_detectors(ner=False))
    full_width = CARD.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    for text in (
        f"my card {full_width}",
        "my card " + "\u200d".join(CARD),
        "my card " + "\u202e".join(CARD),
        "my card " + "\x00".join(CARD),
        "my card " + base64.b64encode(CARD.encode()).decode(),
        "my card " + urllib.parse.quote(CARD),
        "my card " + "".join(f"%{b:02X}" for b in CARD.encode()),
    ):
        route = _turn(pipeline, text)
        assert route.endpoint == "local", repr(text)
        assert route.reason == "kept local: contains a card number", repr(text)
    assert cloud.sent == []


def test_a_utf16_file_under_a_redact_rule_is_redacted_as_it_was_scanned(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path)
    data = f"owner = {EMAIL}\nstatus = ok\n".encode("utf-16")
    notes = _file(tmp_path, "owners.txt", data, "text/plain")
    route = _turn(pipeline, "who owns this", notes)
    assert route.endpoint == "cloud" and route.reason.startswith("redacted then sent: ")
    wire = b"".join(cloud.sent)
    assert b"owner = [EMAIL_ADDRESS_1]" in wire and b"status = ok" in wire
    assert EMAIL.encode() not in wire and EMAIL.encode("utf-16-le") not in wire
