"""Build assets/given_names.txt: common given names, so a first name is never taken for a surname.

    PYTHONPATH=. python packaging/build_given_names.py --census-dir DIR

The public-knowledge step treats a surname alone in an exam item as a cited author
("According to Stevenson"); a given name there is a person of the question's
scenario ("Darla and Janice are two moms"), which stays masked. The given names the
app knew came only from famous people's first names (Pantheon), which lack many
common ones. This adds the first names of the 1990 US Census (`dist.male.first`
and `dist.female.first`, 5,163 names, public domain; shipped in the `names`
package, MIT, https://github.com/treyhunner/names, needed at build time only: pass
the folder holding the two files).

The output is one lower-case name per line, sorted and deterministic, read by
`router.privacy.detectors.words.census_given_names()`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "assets" / "given_names.txt"
SOURCES = ("dist.male.first", "dist.female.first")
HEADER = "# 1990 US Census first names (public domain), via the names package (MIT)\n"


def census_first_names(folder: Path) -> list[str]:
    """Lower-case first names from the Census files in `folder` (first column of each line)."""
    names: set[str] = set()
    for source in SOURCES:
        for line in (folder / source).read_text(encoding="ascii").splitlines():
            fields = line.split()
            if fields and fields[0].isalpha():
                names.add(fields[0].lower())
    return sorted(names)


def build(folder: Path, output: Path = OUTPUT) -> int:
    """Write the list; return how many names it has."""
    names = census_first_names(folder)
    output.write_text(HEADER + "\n".join(names) + "\n", encoding="ascii")
    return len(names)


def main() -> int:
    """Build the asset from the given Census folder and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--census-dir", type=Path, required=True, help="holds dist.*.first")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    count = build(args.census_dir, args.output)
    print(f"{count} names -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
