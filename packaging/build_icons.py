"""Build assets/tandem_icon_192.png and tandem_icon_512.png: the app's home-screen icons.

    PYTHONPATH=. python packaging/build_icons.py

A phone that adds the LAN view (`tandem --web --lan`) to its home screen shows these (the
web app manifest names them, app/lan/pages.py). The picture is drawn here, not taken from
anywhere: two linked rings, this device and the other one working in tandem, in white on
the app's theme colour (Material indigo, as the GUI's seed colour). The rings stay inside
the middle 80% circle, so the icon also works as a "maskable" one that a launcher crops.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SIZES = (192, 512)
THEME_COLOUR = "#3F51B5"
"""Material Design's indigo 500: the colour the GUI's theme is seeded with (ft.Colors.INDIGO)."""
_SUPERSAMPLE = 4  # drawn larger, then scaled down: smooth edges without an anti-aliasing pen


def output_path(size: int) -> Path:
    """Where the icon of `size` pixels is shipped."""
    return ROOT / "assets" / f"tandem_icon_{size}.png"


def draw(size: int) -> Image.Image:
    """The icon as a `size` x `size` RGB image."""
    big = size * _SUPERSAMPLE
    image = Image.new("RGB", (big, big), THEME_COLOUR)
    pen = ImageDraw.Draw(image)
    radius, width = big * 0.17, max(1, round(big * 0.055))
    centre_y = big / 2
    for centre_x in (big * 0.39, big * 0.61):
        box = (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)
        pen.ellipse(box, outline="white", width=width)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def build() -> list[Path]:
    """Write every size; return the files written."""
    written = []
    for size in SIZES:
        path = output_path(size)
        draw(size).save(path, format="PNG", optimize=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(f"wrote {path.relative_to(ROOT)}")
