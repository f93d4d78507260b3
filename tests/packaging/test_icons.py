"""The home-screen icons (assets/tandem_icon_*.png) and the script that draws them."""

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.packaging.builders import load_builder


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    return load_builder("build_icons")


@pytest.mark.parametrize("size", [192, 512])
def test_the_shipped_icon_is_what_the_builder_draws(builder: ModuleType, size: int) -> None:
    path: Path = builder.output_path(size)
    with Image.open(path) as shipped:
        assert (shipped.format, shipped.size) == ("PNG", (size, size))
        assert shipped.convert("RGB").tobytes() == builder.draw(size).tobytes(), (
            "rebuild them: packaging/build_icons.py"
        )


def test_the_rings_stay_inside_the_maskable_safe_zone(builder: ModuleType) -> None:
    image = builder.draw(512).convert("RGB")
    background = image.getpixel((0, 0))
    centre, safe = 256, 0.4 * 512  # a launcher may crop to the middle 80% circle
    for x in range(0, 512, 4):
        for y in range(0, 512, 4):
            if image.getpixel((x, y)) != background:
                assert (x - centre) ** 2 + (y - centre) ** 2 <= safe**2
