"""Context cues: what around a name says it is the user's own, or leaves it in doubt.

Used by router/privacy/public.py to decide whether a listed public name is public
in its text. Hard cues, which nothing overrules: in the name's sentence a
first-person word (I, we, my, our), a street address, phone number or e-mail
address, or a person who is not public knowledge; a relation word (neighbour,
colleague, son, patient, boss...) or a possessive just before the name or just
after it ("Beatrice from my book club"). Soft cues: the sentence is a task or a
statement rather than one that asks about something, or the text is longer than
a question (`MAX_QUESTION_CHARS`). An exam item (router/privacy/exam.py) has no
soft cue, and its first person is its narrator's, not the user's. The word lists
and distances are hand-set priors; `RELATION_WORDS` is shared with general.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router.privacy.exam import pronoun_mentioned
from router.types import Finding

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
_SENTENCE_END = re.compile(r"[.!?;\n]\s")


def hard_cue(
    text: str, finding: Finding, anchors: Sequence[Finding], *, first_person: bool = True
) -> bool:
    """A cue near `finding` says it is the user's own: private, whatever a judge says.

    `anchors` (identifiers, private people) count anywhere in its sentence, and so
    does a first-person word unless `first_person` is off (an exam item's "I" is its
    narrator's: "We proclaim Him...", John of Damascus); a relation word or
    possessive beside the name always counts.
    """
    begin, end = sentence_bounds(text, finding.start)
    if any(a.start < end and a.end > begin for a in anchors):
        return True  # an address, a phone, or a private person in the same sentence
    if first_person and _first_person(text, begin, end):
        return True  # "I live in Leeds", "we are located in Albania"
    before = _without_name_words(text[begin : finding.start].split())
    after = " ".join(text[finding.end : end].lower().split()[:_CUE_WORDS_AFTER])
    return _cue_before(before) or _AFTER_CUE.search(after) is not None


def soft_cue(text: str, finding: Finding, *, exam: bool) -> bool:
    """The frame leaves `finding` in doubt: a pasted document, a task or a statement.

    `exam`: the text is an exam item (`multiple_choice`, decided once per text).
    """
    if exam:
        return False  # an exam item asks about the world, whatever its length or phrasing
    if len(text) > MAX_QUESTION_CHARS:
        return True  # a pasted document: its names may be part of it
    begin, _ = sentence_bounds(text, finding.start)
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


def _without_name_words(words: list[str]) -> list[str]:
    """The words before a name, lower-cased, less the rest of the name ("my neighbour Tom")."""
    kept = list(words)
    for _ in range(_CUE_WORDS_BEFORE):
        if not kept or not kept[-1][:1].isupper() or kept[-1].lower() in _POSSESSIVES:
            break
        kept.pop()  # "Tom" of "Tom Hargreaves": the cue is before the whole name
    return [w.lower().strip(",.:;()") for w in kept]


def _cue_before(words: list[str]) -> bool:
    """A possessive or relation word just before the name (articles and titles skipped)."""
    for skipped, word in enumerate(reversed(words)):
        if word in _POSSESSIVES or re.sub(r"['\u2019]s$", "", word) in RELATION_WORDS:
            return True
        if word not in _SKIPPED or skipped >= _CUE_WORDS_BEFORE:
            return False
    return False


def sentence_bounds(text: str, at: int) -> tuple[int, int]:
    """The bounds of the sentence around offset `at`."""
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, at)]
    begin = starts[-1] if starts else 0
    found = _SENTENCE_END.search(text, at)
    return begin, found.start() + 1 if found else len(text)
