"""Attachments for the egress fuzz: every format the app takes, text in every encoding it reads.

Text files are whatever `privacy.sniff` reads as text (the GUI guesses the MIME
type from the name, as `mimetypes` does, and sniffing decides); PDFs and Word
documents are parsed for the scan. PDFs are written here by hand (a one-page
PDF with a Helvetica text stream, which pypdf reads back) and Word documents
with python-docx, both in-process. A PDF's standard font has no glyphs beyond
Latin-1, so a value spelled with other characters is written plainly there.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import json
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from router.types import Attachment

TEXT_FORMATS = ("txt", "md", "csv", "json", "toml", "yaml", "html", "py")
BINARY_FORMATS = ("pdf", "docx")
FORMATS = TEXT_FORMATS + BINARY_FORMATS
ENCODINGS: dict[str, tuple[bytes, str]] = {
    "utf-8": (b"", "utf-8"),
    "utf-8-bom": (codecs.BOM_UTF8, "utf-8"),
    "utf-16-le-bom": (codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16-be-bom": (codecs.BOM_UTF16_BE, "utf-16-be"),
    "utf-16-le": (b"", "utf-16-le"),
    "utf-16-be": (b"", "utf-16-be"),
    "utf-32-le-bom": (codecs.BOM_UTF32_LE, "utf-32-le"),
    "utf-32-be-bom": (codecs.BOM_UTF32_BE, "utf-32-be"),
    "utf-32-le": (b"", "utf-32-le"),
    "utf-32-be": (b"", "utf-32-be"),
}
"""Encoding name -> (byte-order mark written first, codec)."""


@dataclass(frozen=True)
class BuiltFile:
    """An attachment written to disk, and the codec its text was written in ('' if binary)."""

    attachment: Attachment
    codec: str


def _csv(sentence: str, control: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([["field", "value"], ["note", sentence], ["topic", control]])
    return out.getvalue()


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # also a valid TOML/YAML basic string


TEXT_BODIES: dict[str, Callable[[str, str], str]] = {
    "txt": lambda s, c: f"Notes from the meeting.\n{s}\nWe also need a short note on {c}.\n",
    "md": lambda s, c: f"# Notes\n\n- {s}\n- Next: a short note on {c}\n",
    "csv": _csv,
    "json": lambda s, c: json.dumps({"note": s, "topic": c}, ensure_ascii=False, indent=1),
    "toml": lambda s, c: f"[notes]\nnote = {_quoted(s)}\ntopic = {_quoted(c)}\n",
    "yaml": lambda s, c: f"notes:\n  note: {_quoted(s)}\n  topic: {_quoted(c)}\n",
    "html": lambda s, c: f"<html><body><p>{html.escape(s)}</p><p>{c}</p></body></html>\n",
    "py": lambda s, c: f'"""Settings."""\n\nNOTE = {_quoted(s)}\nTOPIC = {_quoted(c)}\n',
}


def build_file(
    folder: Path, stem: str, fmt: str, encoding: str, sentence: str, control: str
) -> BuiltFile:
    """Write `sentence` and `control` into a `fmt` file in `folder`; text files in `encoding`."""
    name = f"{stem}.{fmt}"
    path = folder / name
    codec = ""
    if fmt == "pdf":
        path.write_bytes(pdf_bytes([sentence, f"We also need a short note on {control}."]))
    elif fmt == "docx":
        path.write_bytes(docx_bytes(sentence, control))
    else:
        bom, codec = ENCODINGS[encoding]
        path.write_bytes(bom + TEXT_BODIES[fmt](sentence, control).encode(codec))
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    size = path.stat().st_size
    return BuiltFile(Attachment(name=name, mime_type=mime, size_bytes=size, path=str(path)), codec)


def pdf_bytes(lines: list[str]) -> bytes:
    """A one-page PDF whose text is `lines` (Latin-1), in Helvetica."""

    def escaped(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({escaped(line)}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 11 Tf 50 750 Td {shown} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def docx_bytes(sentence: str, control: str) -> bytes:
    """A Word document: a heading, the sentence in a table cell, the control in a paragraph."""
    import docx

    document = docx.Document()
    document.add_heading("Meeting notes", level=1)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "note"
    table.rows[0].cells[1].text = sentence
    document.add_paragraph(f"We also need a short note on {control}.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
