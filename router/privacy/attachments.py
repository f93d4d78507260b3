"""Attachment text extraction for the privacy scan, and EXIF stripping for images.

`extract_text` never reads more than `max_bytes` of a file: text is decoded as
UTF-8 with replacement characters (invalid bytes never raise), PDFs go through
pypdf and Word documents through python-docx; images and other binaries yield
no text. `strip_exif` re-encodes JPEG/PNG/WebP without EXIF/GPS metadata.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image

from router.types import Attachment

ExtractKind = Literal["text", "pdf", "docx", "image", "binary"]

_DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_TEXT_MIMES = {
    "application/json", "application/xml", "application/javascript", "application/x-yaml",
    "application/yaml", "application/toml", "application/x-sh", "application/sql",
    "application/csv", "application/x-python",
}  # fmt: skip
_TEXT_EXTS = {
    ".txt", ".md", ".csv", ".tsv", ".json", ".xml", ".yaml", ".yml", ".toml", ".ini", ".cfg",
    ".py", ".js", ".ts", ".html", ".htm", ".css", ".sh", ".sql", ".log", ".rst", ".env",
    ".java", ".c", ".h", ".cpp", ".go", ".rs", ".rb", ".php", ".tex",
}  # fmt: skip
_IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic"}
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/jpg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


@dataclass(frozen=True)
class ExtractedText:
    """Text pulled from an attachment, what kind of file it was, and whether it was cut."""

    text: str
    kind: ExtractKind
    truncated: bool = False
    note: str = ""


def _classify(attachment: Attachment, head: bytes) -> ExtractKind:
    mime = attachment.mime_type.lower().split(";")[0].strip()
    ext = Path(attachment.name).suffix.lower()
    if mime == "application/pdf" or ext == ".pdf" or head.startswith(b"%PDF-"):
        return "pdf"
    if mime == _DOCX_MIME or ext == ".docx":
        return "docx"
    if mime.startswith("image/") or ext in _IMAGE_EXTS:
        return "image"
    if mime.startswith("text/") or mime in _TEXT_MIMES or ext in _TEXT_EXTS:
        return "text"
    # Unknown type: sniff; NUL bytes mean binary, otherwise treat as text.
    return "binary" if b"\x00" in head[:8192] or not head else "text"


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
    if attachment.path is None:
        return ExtractedText("", "binary", note="attachment has no file on this device")
    path = Path(attachment.path)
    try:
        data, truncated = _read_bounded(path, max_bytes)
    except OSError as exc:
        return ExtractedText("", "binary", note=f"could not read file: {exc.__class__.__name__}")
    kind = _classify(attachment, data[:8192])
    note = f"only the first {max_bytes} bytes were read" if truncated else ""
    if kind == "text":
        return ExtractedText(data.decode("utf-8", errors="replace"), "text", truncated, note)
    if kind in ("image", "binary"):
        return ExtractedText("", kind, truncated, note or f"no text extracted from {kind} file")
    if truncated:  # a cut PDF/DOCX cannot be parsed
        return ExtractedText("", kind, True, f"{kind} larger than {max_bytes} bytes; not parsed")
    try:
        text = _pdf_text(data) if kind == "pdf" else _docx_text(data)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, RecursionError) as exc:
        return ExtractedText("", kind, False, f"could not parse {kind}: {exc.__class__.__name__}")
    except Exception as exc:  # parser libraries raise their own error types
        return ExtractedText("", kind, False, f"could not parse {kind}: {exc.__class__.__name__}")
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
