"""Attachment text extraction for the privacy scan, and EXIF stripping for images.

`extract_text` never reads more than `max_bytes` of a file. What the file is
comes from `sniff.sniff` (its bytes first, then its name), the same decision
the endpoints use to send it: text is decoded as `sniff.decode_text` decodes
it (BOMs, UTF-16/32; invalid bytes never raise), PDFs go through pypdf and
Word documents through python-docx; images and other binaries yield no text.
A PDF or DOCX that cannot be parsed is `unreadable`: the scan keeps its turn
local, because what could not be read could not be checked.
`strip_exif` re-encodes JPEG/PNG/WebP without EXIF/GPS metadata.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from router.privacy.sniff import SNIFF_BYTES, AttachmentKind, ExtractedText, decode_text, sniff
from router.types import Attachment

ExtractKind = AttachmentKind
__all__ = ["ExtractKind", "ExtractedText", "extract_text", "strip_exif"]

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/jpg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def _read_bounded(path: Path, max_bytes: int) -> tuple[bytes, bool]:
    """Read at most `max_bytes` of `path`; report whether the file was longer."""
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    return data[:max_bytes], len(data) > max_bytes


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def extract_text(attachment: Attachment, max_bytes: int = 16 << 20) -> ExtractedText:
    """Return the scannable text of `attachment`, reading at most `max_bytes` of it."""
    # Without a readable file only the claimed type is known; nothing is sent either
    # (endpoints leave such files out), but rules on images still see an image.
    claimed: ExtractKind = "image" if attachment.mime_type.startswith("image/") else "binary"
    if attachment.path is None:
        return ExtractedText("", claimed, note="attachment has no file on this device")
    path = Path(attachment.path)
    try:
        with path.open("rb") as fh:
            sniffed = sniff(fh.read(SNIFF_BYTES), attachment.mime_type, attachment.name)
        # A claimed image the sniffer does not know (BMP, HEIC) is still an image to the rules.
        kind = claimed if sniffed.kind == "binary" else sniffed.kind
        if kind in ("image", "binary"):
            return ExtractedText("", kind, note=f"no text extracted from {kind} file")
        data, truncated = _read_bounded(path, max_bytes)
    except OSError as exc:
        return ExtractedText("", claimed, note=f"could not read file: {exc.__class__.__name__}")
    note = f"only the first {max_bytes} bytes were read" if truncated else ""
    if kind == "text":
        return ExtractedText(decode_text(data, sniffed), "text", truncated, note)
    if truncated:  # a cut PDF/DOCX cannot be parsed
        note = f"{kind} larger than {max_bytes} bytes; not parsed"
        return ExtractedText("", kind, True, note, unreadable=True)
    try:
        text = _pdf_text(data) if kind == "pdf" else _docx_text(data)
    except Exception as exc:  # parser libraries raise their own error types, and many
        note = f"could not parse {kind}: {exc.__class__.__name__}"
        return ExtractedText("", kind, False, note, unreadable=True)
    return ExtractedText(text, kind, False, "")


def strip_exif(data: bytes, mime_type: str) -> bytes:
    """Return `data` re-encoded without EXIF/GPS/XMP metadata (JPEG, PNG, WebP).

    Other MIME types, and images Pillow cannot open, are returned unchanged.
    """
    fmt = _PIL_FORMATS.get(mime_type.lower().split(";")[0].strip())
    if fmt is None:
        return data
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            clean = Image.new(img.mode, img.size)
            clean.paste(img)
            if "transparency" in img.info and fmt == "PNG":
                clean.info["transparency"] = img.info["transparency"]
            out = io.BytesIO()
            if fmt == "JPEG":
                if clean.mode not in ("RGB", "L", "CMYK"):
                    clean = clean.convert("RGB")
                clean.save(out, format="JPEG", quality=95)
            elif fmt == "WEBP":
                clean.save(out, format="WEBP", quality=95)
            else:
                if clean.mode == "P" and img.getpalette() is not None:
                    clean.putpalette(img.getpalette() or [])
                clean.save(out, format="PNG")
    except (OSError, ValueError, Image.DecompressionBombError):
        return data
    return out.getvalue()
