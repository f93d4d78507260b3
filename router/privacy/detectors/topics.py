"""Sensitive-topic detector: keyword lexicons from `assets/privacy_topics.toml`.

Each category's terms are whole words or phrases, matched case-insensitively
with simple plurals ("s"/"es"); the words of a phrase may be separated by any
whitespace. All terms compile into one prefix-trie regex, so a scan is one pass. The span
is the matched keyword; confidence is moderate because a keyword is only a hint.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from router.types import Finding

NAME = "topics"
CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, tuple[str, ...]]:
    """Return the category -> terms lexicon, read once from the packaged TOML."""
    raw = files("assets").joinpath("privacy_topics.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    lexicon: dict[str, tuple[str, ...]] = {}
    for category, table in data.items():
        terms = table.get("terms", []) if isinstance(table, dict) else []
        lexicon[category] = tuple(str(t).strip().lower() for t in terms if str(t).strip())
    return lexicon


_GAP = re.compile(r"\s+")


def _trie_regex(terms: list[str]) -> str:
    """Return a regex matching any of `terms`, shaped as a prefix trie (fast to scan)."""
    trie: dict[str, dict[str, object]] = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})  # type: ignore[assignment]
        node[""] = {}

    def build(node: dict[str, dict[str, object]]) -> str:
        ends = "" in node
        alts = [
            (r"\s+" if ch == " " else re.escape(ch)) + build(child)  # type: ignore[arg-type]
            for ch, child in sorted(node.items())
            if ch
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern[str], dict[str, str]]:
    """Return the term regex and a normalized term -> category map."""
    categories: dict[str, str] = {}
    for category, terms in sorted(load_lexicon().items()):
        for term in terms:
            categories.setdefault(" ".join(term.split()), category)
    body = _trie_regex(sorted(categories))
    pattern = rf"(?<![\w'-])(?:{body})(?:e?s)?(?![\w-])"
    return re.compile(pattern, re.IGNORECASE), categories


def _category(matched: str, categories: dict[str, str]) -> str | None:
    """Return the category of a matched term, trying singular forms for plurals."""
    key = _GAP.sub(" ", matched.lower())
    for form in (key, key[:-1], key[:-2]):
        if form in categories:
            return categories[form]
    return None


@dataclass(frozen=True)
class TopicDetector:
    """Flags sensitive subjects (health, finances, legal, ...) as `TOPIC` findings."""

    name = NAME

    def detect(self, text: str) -> list[Finding]:
        """Return a `TOPIC` finding, with its category, for each lexicon term in `text`."""
        pattern, categories = _compiled()
        out: list[Finding] = []
        for m in pattern.finditer(text):
            category = _category(m.group(0), categories)
            if category is None:
                continue
            out.append(
                Finding(
                    type="TOPIC",
                    category=category,
                    start=m.start(),
                    end=m.end(),
                    confidence=CONFIDENCE,
                    detector=NAME,
                )
            )
        return out
