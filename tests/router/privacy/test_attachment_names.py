"""An attachment's file name leaves with it (`<file name=...>`, or the note that it was not
sent): private values in the name are scanned and handled like those in its text.

Found by the egress fuzz (benchmarks/egress_fuzz.py): names went to the cloud unscanned.
"""

import io
from pathlib import Path

from pypdf import PdfWriter

from router.ledger.pseudonyms import PseudonymStore
from router.privacy.detectors.base import FunctionDetector
from router.privacy.detectors.registry import default_detectors
from router.privacy.redact import Pseudonymizer, redact_attachments
from router.privacy.scan import Scanner
from router.types import Attachment, Message, ProtectedValue, TurnRequest
from tests.router.privacy.test_attachment_egress import CARD, EMAIL, _file, _pipeline, _turn
from tests.router.privacy.test_scan import fake_detect


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_card_number_in_a_file_name_keeps_the_turn_local(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path, default_detectors(ner=False))
    notes = _file(tmp_path, f"card {CARD}.txt", b"nothing private in here", "text/plain")
    route = _turn(pipeline, "summarize the file", notes)
    assert route.endpoint == "local" and route.reason == "kept local: contains a card number"
    assert cloud.sent == []


def test_an_email_in_a_file_name_leaves_only_as_its_placeholder(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path, default_detectors(ner=False))
    notes = _file(tmp_path, f"notes for {EMAIL}.txt", b"the meeting moved", "text/plain")
    letter = _file(tmp_path, f"letter to {EMAIL}.pdf", _blank_pdf(), "application/pdf")
    for attached in (notes, letter):  # sent as text, and left out with a note naming it
        route = _turn(pipeline, "what is this file about", attached)
        assert route.endpoint == "cloud" and route.reason.startswith("redacted then sent: ")
    wire = b"".join(cloud.sent)
    assert EMAIL.encode() not in wire
    assert b"notes for [EMAIL_ADDRESS_1].txt" in wire and b"the meeting moved" in wire
    assert b"letter to [EMAIL_ADDRESS_1].pdf" in wire
    assert pipeline.egress_policy.blocked == 0


def test_an_email_with_an_underscore_in_a_file_name_is_redacted_whole(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path, default_detectors(ner=False))
    notes = _file(tmp_path, "ana_souza@example.org.txt", b"the meeting moved", "text/plain")
    route = _turn(pipeline, "what is this file about", notes)
    assert route.endpoint == "cloud" and route.reason.startswith("redacted then sent: ")
    wire = b"".join(cloud.sent)
    assert b"ana_" not in wire and b'<file name=\\"[EMAIL_ADDRESS_1].txt\\">' in wire


def test_a_plain_file_name_is_sent_as_it_is(tmp_path: Path) -> None:
    pipeline, cloud = _pipeline(tmp_path, default_detectors(ner=False))
    notes = _file(tmp_path, "meeting_notes.txt", b"the meeting moved", "text/plain")
    route = _turn(pipeline, "summarize the file", notes)
    assert route.endpoint == "cloud" and route.redactions == ()
    assert b'<file name=\\"meeting_notes.txt\\">' in b"".join(cloud.sent)


def test_a_value_in_a_file_name_is_protected_as_the_name_spells_it(tmp_path: Path) -> None:
    # "Alice_Smith" is read as words ("Alice Smith"); what leaves is the name as written.
    cv = _file(tmp_path, "Alice_Smith_CV.pdf", _blank_pdf(), "application/pdf")
    scanner = Scanner(detectors=[FunctionDetector(fake_detect)])
    report = scanner.scan(TurnRequest(text="read this", session_id="s", attachments=(cv,)), [])
    assert [(p.type, p.value) for p in report.protected] == [("PERSON", "Alice_Smith")]
    assert report.action == "redact"


def test_a_file_that_is_gone_keeps_only_its_redacted_name(tmp_path: Path) -> None:
    pseudonymizer = Pseudonymizer(PseudonymStore(), "s")
    pseudonymizer.register([ProtectedValue(type="EMAIL_ADDRESS", value=EMAIL, action="redact")])
    gone = Attachment(
        name=f"{EMAIL}.pdf", mime_type="application/pdf", size_bytes=9, path=str(tmp_path / "x")
    )
    [message] = redact_attachments(
        [Message(role="user", content="read it", attachments=(gone,))], pseudonymizer, str(tmp_path)
    )
    assert message.attachments == (gone.model_copy(update={"name": "[EMAIL_ADDRESS_1].pdf"}),)


def test_a_file_name_is_redacted_as_the_scan_reads_it() -> None:
    # The scan reads `_` as a space, so a short word glued by `_` is a value there too.
    pseudonymizer = Pseudonymizer(PseudonymStore(), "s")
    pseudonymizer.register(
        [
            ProtectedValue(type="NAME_LIKE", value="closeup", action="redact"),
            ProtectedValue(type="EMAIL_ADDRESS", value="ana_souza@example.org", action="redact"),
        ]
    )
    assert pseudonymizer.redact_name("rear_bumper_closeup.jpg") == "rear_bumper_[NAME_LIKE_1].jpg"
    assert pseudonymizer.redact_name("ana_souza@example.org.txt") == "[EMAIL_ADDRESS_1].txt"
    assert pseudonymizer.redact_name("closeups_2.jpg") == "closeups_2.jpg"
