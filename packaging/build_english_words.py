"""Build assets/english_words.txt.gz: ordinary English words, for the names detector.

    PYTHONPATH=. python packaging/build_english_words.py

The names detector (router/privacy/detectors/names.py) flags a lower-case word it
does not know as a possible name. Its first vocabulary, the 22,500 whole words of
the MiniLM WordPiece vocabulary, misses many ordinary words ("delve", "negligent",
"pineapple"), which were then masked before a cloud turn. This adds the entries of
Webster's Second International Dictionary (1934; public domain; the `web2` list of
the `english-words` package, MIT, https://github.com/mwiens91/english-words-py)
that the dictionary itself writes in lower case: proper nouns, written there with a
capital, stay out, so "smith" is in (a trade) but "hargreaves" is not. Only words of
three letters or more, all letters, and not already in the WordPiece vocabulary.

Needs `pip install english-words` at build time only; the output is sorted,
deterministic, and read by `names.dictionary_words()`.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "assets" / "english_words.txt.gz"


def dictionary_entries() -> set[str]:
    """The lower-case, alphabetic entries of web2 (proper nouns, capitalised there, left out)."""
    from english_words import get_english_words_set

    return {w for w in get_english_words_set(["web2"], lower=False) if w.isalpha() and w.islower()}


def build(output: Path = OUTPUT) -> int:
    """Write the list; return how many words it has."""
    from router.privacy.detectors.names import wordpiece_words

    known = wordpiece_words()
    words = sorted(w for w in dictionary_entries() if len(w) >= 3 and w not in known)
    data = ("\n".join(words) + "\n").encode("ascii")
    # mtime=0: the same words give the same bytes, so a rebuild shows no diff.
    output.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return len(words)


def main() -> int:
    """Build the asset and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    count = build(args.output)
    print(f"{count} words -> {args.output} ({args.output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
