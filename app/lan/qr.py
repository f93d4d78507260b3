"""QR codes of the pairing link: a PNG for the app's Phones panel, text for the terminal.

segno (pure Python) makes them; error correction M (prior: 15% of the code may be
unreadable, a screen photographed at an angle) keeps the link in about 57 x 57 modules.
"""

from __future__ import annotations

import io

import segno

PNG_SCALE = 8
"""Pixels per module: about 460 px for a pairing link, sharp on a high-density screen."""


def qr_png(data: str) -> bytes:
    """A PNG of the QR code of `data`, with the quiet zone scanners need around it."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=PNG_SCALE, border=4)
    return out.getvalue()


def qr_text(data: str) -> str:
    """The QR code of `data` drawn with block characters, two rows a line, for a terminal."""
    out = io.StringIO()
    segno.make(data, error="m").terminal(out=out, compact=True)
    return out.getvalue()
