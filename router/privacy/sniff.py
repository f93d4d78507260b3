"""What an attachment really is, decided once for both the privacy scan and the send path.

`sniff` looks at the file's first bytes before its name or claimed MIME type:
magic numbers (PDF, ZIP/DOCX, PNG, JPEG, GIF, WebP) and byte-order marks or
NUL patterns (UTF-8/16/32 text) win over what the file says it is, so a
`notes.txt` that starts with `%PDF-` is a PDF and a text file named `pic.png`
is text. `decode_text` turns text bytes into the string that is scanned, and
the endpoints send that same string, so the bytes scanned are the bytes sent.

Stdlib only: the endpoints import it, and importing it stays cheap.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

AttachmentKind = Literal["text", "pdf", "docx", "image", "binary"]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SNIFF_BYTES = 8192
"""How much of a file `sniff` needs to see."""

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# Longest BOM first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DOCX_EXTS = {".docx", ".docm", ".dotx"}


@dataclass(frozen=True)
class Sniffed:
    """What an attachment's bytes are: its kind, media type and (for text) its encoding."""

    kind: AttachmentKind
    media_type: str
    encoding: str = ""
    """For text: the codec `decode_text` uses, BOM excluded (`utf-16-le`...)."""
    bom_length: int = 0


@dataclass(frozen=True)
class ExtractedText:
    """Text pulled from an attachment, what kind of file it was, and whether it was cut."""

    text: str
    kind: AttachmentKind
    truncated: bool = False
    note: str = ""
    unreadable: bool = False
    """True when the file is there but could not be parsed, so its text is unknown."""


def _image_type(head: bytes) -> str | None:
    for magic, media_type in _IMAGE_MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def text_encoding(head: bytes) -> tuple[str, int] | None:
    """The codec of text starting with `head` and its BOM's length; None for binary data.

    Without a BOM, UTF-16/32 shows as NULs at regular positions; any other NUL
    means the bytes are not text.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    if b"\x00" not in head:
        return "utf-8", 0
    sample = head[: len(head) - len(head) % 4]
    if len(sample) >= 4:
        for codec, zero in (("utf-32-le", (1, 2, 3)), ("utf-32-be", (0, 1, 2))):
            if all(sample[i::4].count(0) * 10 >= len(sample[i::4]) * 9 for i in zero):
                return codec, 0
    pairs = head[: len(head) - len(head) % 2]
    odd, even = pairs[1::2], pairs[0::2]
    if odd and odd.count(0) * 10 >= len(odd) * 9 and even.count(0) * 10 < len(even):
        return "utf-16-le", 0
    if even and even.count(0) * 10 >= len(even) * 9 and odd.count(0) * 10 < len(odd):
        return "utf-16-be", 0
    return None


def sniff(head: bytes, mime_type: str = "", name: str = "") -> Sniffed:
    """Decide what a file is from its first bytes (`SNIFF_BYTES` of them), then its name.

    Content wins: a file whose bytes do not match its claimed type is treated as
    what its bytes are. The name and MIME type only tell a DOCX from another ZIP.
    """
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", "application/pdf")
    image = _image_type(head)
    if image is not None:
        return Sniffed("image", image)
    if head.startswith(b"PK\x03\x04"):
        claimed_docx = mime_type.lower().startswith(DOCX_MIME)
        if claimed_docx or Path(name).suffix.lower() in _DOCX_EXTS:
            return Sniffed("docx", DOCX_MIME)
        return Sniffed("binary", "application/zip")
    if not head:
        return Sniffed("binary", "application/octet-stream")
    encoding = text_encoding(head)
    if encoding is None:
        return Sniffed("binary", "application/octet-stream")
    return Sniffed("text", "text/plain", *encoding)


def decode_text(data: bytes, sniffed: Sniffed) -> str:
    """`data` decoded as `sniffed` says; invalid bytes become U+FFFD, never an error."""
    return data[sniffed.bom_length :].decode(sniffed.encoding or "utf-8", errors="replace")


def sniff_file(path: str | Path, mime_type: str = "", name: str = "") -> Sniffed:
    """`sniff` the first bytes of the file at `path` (raises OSError when it cannot be read)."""
    with Path(path).open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return sniff(head, mime_type, name or Path(path).name)


def read_text_file(path: str | Path, mime_type: str = "", name: str = "") -> str | None:
    """The text of the file at `path` as it is scanned and sent; None when it is not text."""
    data = Path(path).read_bytes()
    sniffed = sniff(data[:SNIFF_BYTES], mime_type, name or Path(path).name)
    return decode_text(data, sniffed) if sniffed.kind == "text" else None
