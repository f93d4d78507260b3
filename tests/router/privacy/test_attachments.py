import codecs
import io
from pathlib import Path

import docx
from PIL import Image
from pypdf import PdfWriter

from router.privacy.attachments import ExtractedText, extract_text, strip_exif
from router.privacy.sniff import Sniffed, sniff
from router.types import Attachment

GPS_IFD = 0x8825


def _att(path: Path, mime: str) -> Attachment:
    return Attachment(
        name=path.name, mime_type=mime, size_bytes=path.stat().st_size, path=str(path)
    )


def test_text_file(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("my ssn is 123-45-6789", encoding="utf-8")
    out = extract_text(_att(p, "text/plain"))
    assert out.kind == "text" and out.text == "my ssn is 123-45-6789" and not out.truncated


def test_invalid_utf8_does_not_crash(tmp_path: Path) -> None:
    p = tmp_path / "bad.txt"
    p.write_bytes(b"ok \xff\xfe\xc3 still text \x80")
    out = extract_text(_att(p, "text/plain"))
    assert out.kind == "text"
    assert "ok" in out.text and "still text" in out.text and "\ufffd" in out.text


def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "blob.bin"
    p.write_bytes(bytes(range(256)) * 10)
    out = extract_text(_att(p, "application/octet-stream"))
    assert out.kind == "binary" and out.text == ""


def test_image_kind(tmp_path: Path) -> None:
    p = tmp_path / "pic.png"
    Image.new("RGB", (4, 4), "red").save(p)
    out = extract_text(_att(p, "image/png"))
    assert out.kind == "image" and out.text == ""


def test_missing_path_and_missing_file(tmp_path: Path) -> None:
    assert extract_text(Attachment(name="x", mime_type="text/plain", size_bytes=0)).kind == "binary"
    gone = Attachment(name="g.txt", mime_type="text/plain", size_bytes=1, path=str(tmp_path / "g"))
    assert extract_text(gone).note


def test_ten_megabyte_text_is_bounded(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    line = b"line of text with card 4111 1111 1111 1111\n"
    p.write_bytes(line * (10_000_000 // len(line) + 1))
    full = extract_text(_att(p, "text/plain"))
    assert full.kind == "text" and not full.truncated and len(full.text) >= 10_000_000
    cut = extract_text(_att(p, "text/plain"), max_bytes=1 << 20)
    assert cut.truncated and len(cut.text.encode()) <= 1 << 20 and cut.note


def test_docx(tmp_path: Path) -> None:
    p = tmp_path / "doc.docx"
    document = docx.Document()
    document.add_paragraph("Patient diagnosis: diabetes")
    document.save(str(p))
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    out = extract_text(_att(p, mime))
    assert out.kind == "docx" and "diabetes" in out.text


def test_pdf_blank_and_corrupt(tmp_path: Path) -> None:
    p = tmp_path / "blank.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    with p.open("wb") as fh:
        writer.write(fh)
    out = extract_text(_att(p, "application/pdf"))
    assert out.kind == "pdf" and out.text.strip() == ""
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage \x00\x01")
    out_bad = extract_text(_att(bad, "application/pdf"))
    assert out_bad.kind == "pdf" and out_bad.text == ""


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (16, 16), "blue")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def test_strip_exif_jpeg_removes_gps() -> None:
    data = _jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as before:
        assert before.getexif().get_ifd(GPS_IFD)
    clean = strip_exif(data, "image/jpeg")
    with Image.open(io.BytesIO(clean)) as after:
        assert after.format == "JPEG" and after.size == (16, 16)
        assert not after.getexif()
        assert not after.getexif().get_ifd(GPS_IFD)
        assert "exif" not in after.info


def test_strip_exif_png_and_webp() -> None:
    for fmt, mime in (("PNG", "image/png"), ("WEBP", "image/webp")):
        exif = Image.Exif()
        exif[0x010F] = "CameraMaker"
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(buf, format=fmt, exif=exif)
        clean = strip_exif(buf.getvalue(), mime)
        with Image.open(io.BytesIO(clean)) as after:
            assert after.format == fmt and not after.getexif() and "exif" not in after.info


def test_strip_exif_passthrough() -> None:
    assert strip_exif(b"not an image", "image/jpeg") == b"not an image"
    assert strip_exif(b"%PDF", "application/pdf") == b"%PDF"


def test_a_corrupt_pdf_or_docx_is_unreadable_with_a_note(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 garbage \x00\x01")
    bad_docx = tmp_path / "letter.docx"
    bad_docx.write_bytes(b"PK\x03\x04 not a zip")
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    for out in (extract_text(_att(pdf, "application/pdf")), extract_text(_att(bad_docx, mime))):
        assert out.unreadable and out.text == "" and out.note.startswith("could not parse")


def test_content_wins_over_the_claimed_type(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"%PDF-1.7 pay with 4111 1111 1111 1111")
    out = extract_text(_att(notes, "text/plain"))
    assert out.kind == "pdf" and out.unreadable  # never "an empty PDF" that is then sent
    fake_png = tmp_path / "pic.png"
    fake_png.write_bytes(b"just words")
    assert extract_text(_att(fake_png, "image/png")) == ExtractedText("just words", "text")
    real_png = tmp_path / "pic.txt"
    Image.new("RGB", (4, 4), "red").save(real_png, format="PNG")
    assert extract_text(_att(real_png, "text/plain")).kind == "image"


def test_utf16_and_utf32_text_is_decoded(tmp_path: Path) -> None:
    text = "pay with 4111 1111 1111 1111"
    for codec, data in (
        ("utf-16 BOM", text.encode("utf-16")),
        ("utf-16-be BOM", "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")),
        ("utf-16-le no BOM", text.encode("utf-16-le")),
        ("utf-16-be no BOM", text.encode("utf-16-be")),
        ("utf-32 BOM", text.encode("utf-32")),
        ("utf-8 BOM", codecs.BOM_UTF8 + text.encode()),
    ):
        p = tmp_path / "notes.txt"
        p.write_bytes(data)
        assert extract_text(_att(p, "text/plain")) == ExtractedText(text, "text"), codec


def test_sniff_decides_for_the_send_path_too() -> None:
    assert sniff(b"%PDF-1.4", "text/plain", "notes.txt").kind == "pdf"
    assert sniff(b"PK\x03\x04", "application/zip", "a.zip").kind == "binary"
    assert sniff(b"PK\x03\x04", "", "a.docx").kind == "docx"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "", "x").media_type == "image/webp"
    assert sniff(b"a = 1\n", "application/toml", "a.toml") == Sniffed("text", "text/plain", "utf-8")
    assert sniff(b"\x00\x01\x02abc", "text/plain", "a.txt").kind == "binary"
    assert sniff(b"", "text/plain", "a.txt").kind == "binary"
