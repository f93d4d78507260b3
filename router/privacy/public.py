"""Public knowledge or private life: decided per name, in its context.

A question about France, Barack Obama or "Pride and Prejudice" is useless to a
cloud model once those names are masked; a question about "my neighbour Tom
Hargreaves at 14 Elm Road" must not carry them. This step marks a PERSON,
LOCATION, ORGANIZATION or NAME_LIKE finding as public (`category = "public"`)
when both hold:

- the name is public knowledge: it (or a run of words in it, the rest being
  ordinary words, or geographic words beside a place: "Rhine River", "Western
  Europe") is in `assets/public_entities.txt`, built offline by
  packaging/build_public_entities.py from Pantheon 1.0 (famous people, and rare
  surnames alone), GeoNames and ISO lists (places, countries, languages) and a
  hand-written seed (organisations, works, products, events, religions,
  nationality words). A PERSON finding is never made public by the name of a
  place, a language, a nationality or a religion ("Jordan" the country is not
  Jordan the colleague; nor is "Jordanian");
- nothing in its context marks it as the user's own (router/privacy/cues.py):
  no hard cue (a first-person word, an identifier or a private person in its
  sentence; a relation word or possessive beside it) and, for a name a private
  person, town, country or firm may share, no soft cue (a task or statement
  rather than a question; a text longer than a question). A religion, work,
  product, event or landmark is public in a task too ("write a Python program").

An exam item (lettered options, router/privacy/exam.py) asks about the world: no
soft cue, its first person and its scenario's people are not the user's, and a
surname alone in it ("According to Stevenson") cites an author and is public;
given names there (the scenario's "Darla") stay private.

A listed name with a soft cue and no hard one is `Undecided`: the list says
public, the frame says maybe not. It stays private unless a judge (the device's
own model, router/privacy/judge.py, with `[privacy] judge = "device"`) answers
that it is public knowledge used as such.

When in doubt, private wins: an unknown name, a partial match with an unknown
word left over, or any cue keeps the finding as it was. The shipped rule
`public-knowledge` (assets/privacy_rules.toml) allows public findings; the user's
own rules come first, so a user can still redact any of them. Structured
identifiers (cards, keys, e-mails, phones, addresses) are never marked.
The word lists and distances below are hand-set priors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from router.privacy.cues import MAX_QUESTION_CHARS, hard_cue, sentence_bounds, soft_cue
from router.privacy.exam import cited_surnames, multiple_choice
from router.types import Finding

PUBLIC = "public"
"""`Finding.category` of a name that is public knowledge in its context."""
NAME_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NAME_LIKE"})
IDENTIFIER_TYPES = frozenset({"STREET_ADDRESS", "PHONE_NUMBER", "EMAIL_ADDRESS", "EMAIL"})
# Kinds that name no one: a PERSON finding of the same words is someone else.
_NOT_A_PERSON = frozenset({"place", "country", "language", "nationality", "religion"})
# Kinds a private person, firm or the user's town may share (a prior; see `_may_be_private`).
_MAY_BE_PRIVATE = frozenset({"person", "place", "org", "country", "nationality", "language"})
# Kinds that name nobody's own thing: only a cue beside them counts (a prior).
_NOBODYS = frozenset({"work", "product", "event", "landmark"})
_Match = tuple[int, int, tuple[int, ...]]
# Beside a listed place, these words keep it public ("Rhine River", "Western Europe",
# "Scottish Highlands"); never street words, which make an address (a prior).
_GEOGRAPHIC_KINDS = frozenset({"place", "country", "landmark", "nationality"})
_GEOGRAPHIC_WORDS = frozenset(
    """
    river rivers lake lakes mount mountain mountains ocean sea desert valley island islands
    peninsula basin delta gulf bay strait canal falls highlands lowlands plains plateau
    archipelago coast region province empire kingdom republic dynasty
    north south east west northern southern eastern western central upper lower greater
    """.split()  # noqa: SIM905 - a word list reads better as text
)
"""A public name in a phrase: its start and end offsets, and the findings it covers."""

_CONNECTOR = re.compile(r"\s+(?:and|of|the|de|da|del|der|van|von|la|le|du|&)\s+|\s+|-", re.I)
_WORD = re.compile(r"[^\W_](?:[\w'\u2019.&-]*[^\W_])?\.?")
_NUMERAL_AFTER = re.compile(r"[ \t]+(?:[IVXLC]+|\d{1,4})\b")
_FUNCTION_WORDS = frozenset({"the", "a", "an", "of", "and", "in", "on", "de", "da", "van", "von"})


def normalize_name(name: str) -> str:
    """The lookup key of a name: case, accents, apostrophes, possessive and spacing folded."""
    text = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    text = text.encode("ascii", "ignore").decode("ascii").lower().strip(" \t\n\"'.,;:!?()[]")
    text = re.sub(r"'s$", "", text)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def public_names() -> dict[str, frozenset[str]]:
    """Normalized public name -> its kinds (person, place, country, org, work...)."""
    text = resources.files("assets").joinpath("public_entities.txt").read_text("utf-8")
    kinds: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            kind, _, name = line.partition("\t")
            kinds.setdefault(normalize_name(name), set()).add(kind)
    return {name: frozenset(k) for name, k in kinds.items()}


@dataclass(frozen=True)
class Undecided:
    """A listed public name the cheap signals disagree on: private unless a judge says public.

    The list says public and nothing marks it as the user's own (no hard cue), but
    the frame leaves it in doubt (a soft cue): the sentence does not ask about it,
    or the text is longer than a question. `router/privacy/judge.py` may ask the
    device's own model; without a verdict of "public" it stays private.
    """

    name: str
    """The name as written (a phrase such as "Pride and Prejudice" is one name)."""
    context: str
    """What a judge reads: the whole text, or the question-sized part of it around the name."""
    spans: tuple[tuple[int, int], ...]
    """Offsets of the findings the name covers in the scanned text."""

    @property
    def key(self) -> tuple[str, str]:
        """What a verdict depends on: the name and the context the judge read."""
        return self.name, self.context


@dataclass(frozen=True)
class Classified:
    """A text's findings with public names marked, and the names left undecided."""

    findings: tuple[Finding, ...]
    undecided: tuple[Undecided, ...] = ()


def classify_names(text: str, findings: Sequence[Finding]) -> Classified:
    """Mark names public knowledge in `text`; list those with only a soft cue as undecided.

    A hard cue (an identifier or a non-public person in the sentence, a
    first-person word, a relation word or possessive beside the name) keeps a name
    private, and no judge sees it. Undecided names are left unmarked (private).
    """
    matches = [m for g in _phrases(text, findings) for m in _public_matches(text, g, findings)]
    known = {i for _, _, members in matches for i in members}
    exam = multiple_choice(text)
    if exam:  # an exam item's surname alone cites an author ("Kelsen")
        known.update(cited_surnames(text, findings, NAME_TYPES))
    # Beside an identifier or a person who is not public knowledge, a name is the user's own;
    # an exam item's other people are its scenario's ("Darla and Janice"), not the user's.
    anchors = [
        f
        for i, f in enumerate(findings)
        if f.type in IDENTIFIER_TYPES or (f.type == "PERSON" and i not in known and not exam)
    ]
    # A work, product, event or landmark is nobody's: only a cue beside it counts.
    owned = {i for s, e, ms in matches if _may_be_owned(text[s:e], findings, ms) for i in ms}
    free = {
        i
        for i in known
        if not hard_cue(
            text,
            findings[i],
            anchors if i in owned else (),
            first_person=i in owned and not exam,
        )
    }
    # Only a name a private person or place may share is in doubt in a task's frame.
    framed = {i for s, e, members in matches if _may_be_private(text[s:e]) for i in members}
    doubtful = {i for i in free & framed if soft_cue(text, findings[i], exam=exam)}
    marked = tuple(
        f.model_copy(update={"category": PUBLIC}) if i in free - doubtful else f
        for i, f in enumerate(findings)
    )
    undecided = tuple(
        Undecided(
            text[start:end],
            _judge_context(text, start, end),
            tuple((findings[i].start, findings[i].end) for i in members if i in doubtful),
        )
        for start, end, members in matches
        if doubtful.intersection(members)
    )
    return Classified(marked, undecided)


def mark_public(text: str, findings: Sequence[Finding]) -> list[Finding]:
    """`findings`, with those naming public knowledge in `text` given category `public`."""
    return list(classify_names(text, findings).findings)


def with_public(
    findings: Sequence[Finding], judged: Sequence[Undecided], pending: Sequence[Undecided]
) -> tuple[Finding, ...]:
    """`findings`, with those the `judged` names cover marked public (a judge said so).

    A finding that also covers a `pending` name (one span holding two names, one
    not judged public) stays private.
    """
    spans = {s for name in judged for s in name.spans} - {s for n in pending for s in n.spans}
    return tuple(
        f.model_copy(update={"category": PUBLIC})
        if (f.start, f.end) in spans and f.type in NAME_TYPES and not f.category
        else f
        for f in findings
    )


def _judge_context(text: str, start: int, end: int) -> str:
    """The text, or in a longer one the name's sentence cut to a question's size around it."""
    if len(text) <= MAX_QUESTION_CHARS:
        return text.strip()
    begin, stop = sentence_bounds(text, start)
    room = max(MAX_QUESTION_CHARS - (end - start), 0) // 2
    begin, stop = max(begin, start - room), min(stop, end + room)
    return text[begin:stop].strip()


def _phrases(text: str, findings: Sequence[Finding]) -> list[list[int]]:
    """Indexes of name findings, grouped into phrases joined by spaces or title connectors."""
    order = sorted(
        (i for i, f in enumerate(findings) if f.type in NAME_TYPES and not f.category),
        key=lambda i: findings[i].start,
    )
    groups: list[list[int]] = []
    for i in order:
        if groups:
            last = findings[groups[-1][-1]]
            gap = text[last.end : findings[i].start]
            if last.end <= findings[i].start and (not gap or _CONNECTOR.fullmatch(gap)):
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def _public_matches(text: str, group: list[int], findings: Sequence[Finding]) -> list[_Match]:
    """The public names in one phrase (longest run of words first) and the findings they cover."""
    start, end = findings[group[0]].start, findings[group[-1]].end
    numeral = _NUMERAL_AFTER.match(text, end)  # "World War II", "Apollo 11": no finding
    end = numeral.end() if numeral else end
    words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
    covered = [False] * len(words)
    names = public_names()
    matches: list[_Match] = []
    geographic = False  # a place matched: "River" in "Rhine River", "Western" in "Western Europe"
    for size in range(len(words), 0, -1):
        for first in range(len(words) - size + 1):
            window = range(first, first + size)
            if any(covered[k] for k in window):
                continue
            kinds = names.get(normalize_name(text[words[first][0] : words[first + size - 1][1]]))
            members = tuple(i for i in group if _overlaps(findings[i], words, window))
            if kinds and _kinds_fit(kinds, [findings[i] for i in members]):
                for k in window:
                    covered[k] = True
                matches.append((words[first][0], words[first + size - 1][1], members))
                geographic = geographic or bool(kinds & _GEOGRAPHIC_KINDS)
    for k, (begin, stop) in enumerate(words):
        if covered[k] or _ordinary(text, begin, stop):
            continue
        if not (geographic and normalize_name(text[begin:stop]) in _GEOGRAPHIC_WORDS):
            return []  # "Jordan Smithers": an unknown word left in the phrase, private wins
    return matches


def _overlaps(finding: Finding, words: list[tuple[int, int]], window: range) -> bool:
    return any(finding.start < words[k][1] and words[k][0] < finding.end for k in window)


def _kinds_fit(kinds: frozenset[str], findings: Sequence[Finding]) -> bool:
    """A person is never made public by a place, language or nationality of the same name."""
    if any(f.type == "PERSON" for f in findings):
        return bool(kinds - _NOT_A_PERSON)
    return True


def _ordinary(text: str, start: int, end: int) -> bool:
    """A function word, or a common word written lower-case or opening the sentence."""
    from router.privacy.detectors.names import common_words

    word = text[start:end]
    bare = normalize_name(word)
    if bare in _FUNCTION_WORDS:
        return True
    opens_sentence = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?:;\n"
    return bare in common_words() and (word.islower() or opens_sentence)


def _may_be_owned(name: str, findings: Sequence[Finding], members: tuple[int, ...]) -> bool:
    """A name that can be the user's own: a person, place, country, firm, religion...

    A listed work, product, event or landmark ("Christmas", "Pokemon", "Netflix"
    as a product) in a sentence about someone or with "I" in it is still public
    knowledge: "Jane is planning her Christmas party" says nothing private about
    Christmas. A PERSON finding is always someone's.
    """
    if any(findings[i].type == "PERSON" for i in members):
        return True
    kinds = public_names().get(normalize_name(name), frozenset())
    return not kinds or not kinds <= _NOBODYS


def _may_be_private(name: str) -> bool:
    """A listed name that may also be a private person's or the user's whereabouts.

    A person's name, a town or a country may be the user's own even in a task
    ("write to Jordan", "draft a flyer for the event in Riyadh", "a visa letter for
    Kenya": PUPA counts such countries and nationalities as private), and a firm in a
    task is often the user's employer or client; a religion, work, product, event or
    landmark ("write a Python program", "a blog post about the Alps") is not.
    """
    kinds = public_names().get(normalize_name(name), frozenset())
    return not kinds or bool(kinds & _MAY_BE_PRIVATE)
