"""The off-device prompt estimate counts what is sent, not the size of files left out.

A Word file or a PDF is not sent to an off-device endpoint (a one-line note is),
so counting its bytes made any cloud turn with a 36 KB Word file "too long"
before anything was sent (seen in the egress fuzz: `PromptTooLongError`).
"""

from __future__ import annotations

from pathlib import Path

import docx

from router.endpoints.remote_common import estimate_prompt_tokens
from router.types import Attachment, Message

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _message(path: Path, mime: str) -> Message:
    size = path.stat().st_size
    attached = Attachment(name=path.name, mime_type=mime, size_bytes=size, path=str(path))
    return Message(role="user", content="summarise", attachments=(attached,))


def test_a_word_file_left_out_counts_as_its_note(tmp_path: Path) -> None:
    path = tmp_path / "minutes.docx"
    document = docx.Document()
    document.add_paragraph("We ship on Friday.")
    document.save(str(path))
    assert path.stat().st_size > 30_000  # python-docx's template alone
    assert estimate_prompt_tokens([_message(path, DOCX)]) < 100


def test_a_text_file_counts_its_size(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("word " * 2_000)
    assert estimate_prompt_tokens([_message(path, "text/plain")]) > 2_000


def test_a_pdf_named_as_text_counts_as_its_note(tmp_path: Path) -> None:
    # The send path sniffs the bytes, not the name: this file is left out as a PDF.
    path = tmp_path / "notes.txt"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * 40_000)
    assert estimate_prompt_tokens([_message(path, "text/plain")]) < 100
