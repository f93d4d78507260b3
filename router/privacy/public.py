"""Public knowledge or private life: decided per name, in its context.

A question about France, Barack Obama or "Pride and Prejudice" is useless to a
cloud model once those names are masked; a question about "my neighbour Tom
Hargreaves at 14 Elm Road" must not carry them. This step marks a PERSON,
LOCATION, ORGANIZATION or NAME_LIKE finding as public (`category = "public"`)
when both hold:

- the name is public knowledge: it (or a run of words in it, the rest being
  ordinary words) is in `assets/public_entities.txt`, built offline by
  packaging/build_public_entities.py from Pantheon 1.0 (famous people), GeoNames
  and ISO lists (places, countries, languages) and a hand-written seed
  (organisations, works, products, events, nationality words). A PERSON finding
  is never made public by the name of a place, a language or a nationality
  ("Jordan" the country is not Jordan the colleague; nor is "Jordanian");
- nothing in its context marks it as the user's own. Hard cues, which nothing
  overrules: in its sentence a first-person word (I, we, my, our), a street
  address, phone number or e-mail address, or a person who is not public
  knowledge; a relation word (neighbour, colleague, son, patient, boss...) or a
  possessive just before the name or just after it ("Beatrice from my book
  club"). Soft cues: the sentence is a task or a statement ("draft a flyer for
  the event in Riyadh", "Mohannad, from Egypt, has...") rather than one that
  asks about something (a question, or "explain/describe/summarize/compare/
  translate/tell me about..."); or the text is longer than a question
  (`MAX_QUESTION_CHARS`; a pasted document's names may be part of it).

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

from router.privacy.exam import cited_surnames, multiple_choice, pronoun_mentioned
from router.types import Finding

PUBLIC = "public"
"""`Finding.category` of a name that is public knowledge in its context."""
NAME_TYPES = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NAME_LIKE"})
IDENTIFIER_TYPES = frozenset({"STREET_ADDRESS", "PHONE_NUMBER", "EMAIL_ADDRESS", "EMAIL"})
# Kinds that name no one: a PERSON finding of the same words is someone else.
_NOT_A_PERSON = frozenset({"place", "country", "language", "nationality", "religion"})
# Kinds a private person, firm or the user's town may share (a prior; see `_may_be_private`).
_MAY_BE_PRIVATE = frozenset({"person", "place", "org", "country", "nationality", "language"})
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

MAX_QUESTION_CHARS = 300
"""Longer texts are documents the user pasted, not questions about a name (a prior)."""
# Priors: how close a relation word must be to make a name the user's own.
_CUE_WORDS_BEFORE = 3  # honorifics, articles and commas skipped on the way back
_CUE_WORDS_AFTER = 3

_POSSESSIVES = frozenset({"my", "our", "mine", "ours"})
# Relation words: a name beside one is the user's own person (a prior; general.py too).
RELATION_WORDS = frozenset(
    """
    neighbour neighbor neighbours neighbors colleague colleagues coworker co-worker coworkers
    boss manager supervisor employer employee employees assistant secretary intern teammate
    team-mate partner client customer patient tenant landlord landlady roommate flatmate
    housemate son daughter child kid wife husband spouse fiance fiancee fiancé fiancée
    girlfriend boyfriend ex friend friends bestie brother sister sibling mother father mum mom
    dad mummy mommy daddy parent uncle aunt auntie cousin nephew niece grandmother grandfather
    grandma grandpa granny grandson granddaughter in-law brother-in-law sister-in-law
    mother-in-law father-in-law son-in-law daughter-in-law stepson stepdaughter stepmother
    stepfather teacher tutor student pupil classmate mentor mentee coach doctor dentist
    therapist nurse lawyer accountant babysitter nanny carer caregiver contractor builder
    plumber electrician cleaner
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_SKIPPED = frozenset({"the", "a", "an", "mr", "mrs", "ms", "miss", "dr", "prof", "professor"})
# Just after the name: "Beatrice from my book club", "Jenny from next door", "Tom, a colleague".
_AFTER_CUE = re.compile(
    r"\b(?:"
    + "|".join(map(re.escape, sorted(_POSSESSIVES | RELATION_WORDS | {"next door"})))
    + r")\b"
)
_FIRST_PERSON = re.compile(
    r"\b(?:I|I'm|I've|I'd|I'll|[Ww]e|[Ww]e're|[Ww]e've|[Mm]y|[Oo]ur|[Oo]urs|[Mm]ine)\b"
)
# Only a sentence that asks about something makes a name in it public: a question
# ("Who wrote...?", "Is Canberra...?") or a request for knowledge ("Explain...").
# Tasks and statements ("draft a presentation for our event in Riyadh", "Mohannad, from
# Egypt, has...") are the user's own matter: private wins.
_ASKS_ABOUT = re.compile(
    r"\s*(?:(?:please|so|and|but|also|now|ok|okay),?\s+)?(?:"
    r"(?:what|who|whom|whose|which|when|where|why|how)\b[^?]*\?"
    r"|(?:is|are|was|were|do|does|did|can|could|would|should|will|has|have|had)\b[^?]*\?"
    r"|(?:explain|describe|summari[sz]e|compare|define|outline|list|name|translate|tell me about"
    r"|give me (?:a |an )?(?:summary|overview|history)|what's|who's)\b)",
    re.IGNORECASE,
)
_CONNECTOR = re.compile(r"\s+(?:and|of|the|de|da|del|der|van|von|la|le|du|&)\s+|\s+|-", re.I)
_WORD = re.compile(r"[^\W_](?:[\w'\u2019.&-]*[^\W_])?\.?")
_NUMERAL_AFTER = re.compile(r"[ \t]+(?:[IVXLC]+|\d{1,4})\b")
_SENTENCE_END = re.compile(r"[.!?;\n]\s")
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
    free = {i for i in known if not _hard_cue(text, findings[i], anchors, exam=exam)}
    # Only a name a private person or place may share is in doubt in a task's frame.
    framed = {i for s, e, members in matches if _may_be_private(text[s:e]) for i in members}
    doubtful = {i for i in free & framed if _soft_cue(text, findings[i])}
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
    begin, stop = _sentence(text, start)
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


def _hard_cue(
    text: str, finding: Finding, anchors: Sequence[Finding], *, exam: bool = False
) -> bool:
    """A cue near `finding` says it is the user's own: private, whatever a judge says.

    In an `exam` item the first person is its narrator's or a quoted source's ("We
    proclaim Him...", John of Damascus), so only the cues beside the name count.
    """
    begin, end = _sentence(text, finding.start)
    if any(a.start < end and a.end > begin for a in anchors):
        return True  # an address, a phone, or a private person in the same sentence
    if not exam and _first_person(text, begin, end):
        return True  # "I live in Leeds", "we are located in Albania"
    before = [w.lower().strip(",.:;()") for w in text[begin : finding.start].split()]
    after = " ".join(text[finding.end : end].lower().split()[:_CUE_WORDS_AFTER])
    return _cue_before(before) or _AFTER_CUE.search(after) is not None


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


def _soft_cue(text: str, finding: Finding) -> bool:
    """The frame leaves `finding` in doubt: a pasted document, a task or a statement."""
    if multiple_choice(text):
        return False  # an exam item asks about the world, whatever its length or phrasing
    if len(text) > MAX_QUESTION_CHARS:
        return True  # a pasted document: its names may be part of it
    begin, _ = _sentence(text, finding.start)
    return not _ASKS_ABOUT.match(text, begin)  # "draft a flyer for our event in Riyadh"


def _first_person(text: str, begin: int, end: int) -> bool:
    """A first-person word in text[begin:end]; "I" after a capitalised word is a numeral."""
    for match in _FIRST_PERSON.finditer(text, begin, end):
        if pronoun_mentioned(text, *match.span()):
            continue  # "(who uses I/me/my)" names the pronouns
        previous = text[begin : match.start()].split()[-1:]
        if match.group() != "I" or not (previous and previous[0][:1].isupper()):
            return True
    return False


def _cue_before(words: list[str]) -> bool:
    """A possessive or relation word just before the name (articles and titles skipped)."""
    for skipped, word in enumerate(reversed(words)):
        if word in _POSSESSIVES or re.sub(r"['\u2019]s$", "", word) in RELATION_WORDS:
            return True
        if word not in _SKIPPED or skipped >= _CUE_WORDS_BEFORE:
            return False
    return False


def _sentence(text: str, at: int) -> tuple[int, int]:
    """The bounds of the sentence around offset `at`."""
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, at)]
    begin = starts[-1] if starts else 0
    found = _SENTENCE_END.search(text, at)
    return begin, found.start() + 1 if found else len(text)
