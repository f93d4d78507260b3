"""Draw the phone app's icon and splash image (src/assets/icon.png, splash.png), committed.

Two overlapping rings on Tandem blue: the device and your own Tandem, working in
tandem. Pillow only, no fonts, so the output is the same on every machine:
`python packaging/mobile/build_icons.py`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent / "src" / "assets"
BLUE = (27, 110, 243, 255)
WHITE = (255, 255, 255, 255)


def rings(size: int, background: tuple[int, int, int, int] | None) -> Image.Image:
    """Two white rings side by side, overlapping, on `background` (None: transparent)."""
    image = Image.new("RGBA", (size, size), background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius, width = size * 0.22, max(2, round(size * 0.06))
    for centre_x in (size * 0.39, size * 0.61):
        box = (centre_x - radius, size / 2 - radius, centre_x + radius, size / 2 + radius)
        draw.ellipse(box, outline=WHITE if background else BLUE, width=width)
    return image


def main() -> None:
    """Write icon.png (1024 px, opaque: iOS refuses transparent icons) and splash.png."""
    ASSETS.mkdir(parents=True, exist_ok=True)
    rings(1024, BLUE).save(ASSETS / "icon.png", optimize=True)
    rings(512, None).save(ASSETS / "splash.png", optimize=True)


if __name__ == "__main__":
    main()
