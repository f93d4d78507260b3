"""Name-like words the NER model misses: the recall net behind redaction.

spaCy's small English model finds well-formed names in well-formed prose, but
user queries are full of names it misses: lower-case names ("my friend
sulaiman"), brands in capitals ("SKF", "McDONALDS"), product and code names
("ActivityMainBinding"), bare domains ("forex.com") and foreign names. On PUPA
(real WildChat queries with annotated private units) that gap left a quarter
of the units in the redacted text.

This detector flags, without any model:
- a word with a capital letter that does not start a sentence (except "I");
- a word in capitals, or with a capital after a lower-case letter, anywhere;
- a lower-case word that is no ordinary English word or inflection of one
  (`words.py`: the WordPiece vocabulary of all-MiniLM-L6-v2, the embedding model
  Tandem installs anyway, and the lower-case entries of Webster's Second
  dictionary), which catches lower-case names and rare proper nouns;
- but not, in an exam item (router/privacy/exam.py: lettered options), a
  capitalised ordinary word that is no given name ("the Great War", "Source 1")
  or that opens an answer in an option's list ("B. Wrong, Not wrong"), capitals
  that spell no given name ("NAFTA"), a lower-case word ("ferritin", "introns"),
  a unit or an identifier in code ("mL", "nameList") or a word with digits
  ("MgSO4"): a test question's vocabulary, not the user's acquaintances;
- nor a letter alone, a day or month, True/False, a common abbreviation in
  capitals ("GDP", not "JOHN") or a roman numeral, which name nobody;
- bare domain names ("academics.klef.in");
- runs of text in scripts without letter case (`UNCHECKED_SCRIPT`), where
  none of the above works and the NER model (English) sees nothing: the
  default rules keep such turns on the device, whose model reads them.

Findings are `NAME_LIKE` with a low confidence, so a typed finding (PERSON,
EMAIL_ADDRESS, ...) wins any overlap. The default rules redact them: the
placeholders are restored in the answer on the device, so the cloud model sees
the question's shape without its names. `privacy.names = "standard"` turns
this detector off, trading privacy for better answers about public names.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from router.privacy.detectors.words import (
    CALENDAR_AND_ANSWERS,
    common_acronym,
    given_names,
    is_word,
    known_lower_word,
    title_word,
    wordpiece_words,
)
from router.privacy.exam import in_option_line, multiple_choice
from router.types import Finding

NAME_LIKE = "NAME_LIKE"
_CONFIDENCE = 0.3

# Words: letters/digits with inner apostrophes, hyphens or ampersands ("O'Neil",
# "Coca-Cola", "AT&T"); dotted capitals ("K.F.C.") separately. Dots split words so
# that "polisWindow.show()" is two words and one flagged half survives an overlap.
_WORD = re.compile(r"[^\W_](?:[\w'\u2019&-]*[^\W_])?")
_DOTTED_CAPITALS = re.compile(r"\b(?:[A-Z]\.){2,}")
# Scripts without letter case (Chinese, Japanese, Korean, Arabic, Hebrew, Thai,
# Khmer, Indic...): capitalisation says nothing there, and the NER model is
# English, so names in them cannot be found.
_CASELESS = re.compile(
    "[\u0590-\u08ff\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u10a0-\u10ff"
    "\u1100-\u11ff\u1200-\u137f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)
UNCHECKED_SCRIPT = "UNCHECKED_SCRIPT"
_SENTENCE_END = frozenset(".!?:;\n\r•")
_OPENERS = frozenset(" \t\"'\u201c\u2018([{*->#\u2013\u2014")
_PRONOUN_I = re.compile(r"I(?:['\u2019](?:m|d|ll|ve))?$")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]+$")

# Bare host names: at least one dot and a common top-level domain, so that
# "e.g." or "v1.2" do not match. The `web` detector handles full URLs.
_TLDS = (
    "com|net|org|io|ai|app|dev|edu|gov|info|biz|me|co|xyz|online|site|tech|store|shop|"
    "us|uk|ca|au|nz|in|pk|bd|de|fr|es|it|nl|be|ch|at|se|no|fi|dk|pl|cz|ru|ua|tr|ir|sa|"
    "ae|eg|ng|za|ke|mx|ar|br|cl|cn|hk|tw|jp|kr|sg|my|id|ph|vn|th"
)
_DOMAIN = re.compile(
    rf"(?<![\w@.-])[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.(?:{_TLDS})\b(?:/[^\s]*)?",
    re.IGNORECASE,
)


def common_words() -> frozenset[str]:
    """Whole-word entries of the all-MiniLM-L6-v2 WordPiece vocabulary (uncased)."""
    return wordpiece_words()


# Title-case function words ("Best Practices For The Web") are not names, and
# protecting them would replace every capitalised "For" for the whole session.
_FUNCTION_WORDS = frozenset(
    """
    a an the and or but nor so yet for of to in on at by with from into onto over under
    about after before between through during without within upon as if than then
    is are was were be been am do does did has have had will would can could shall
    should may might must not no yes all any each every some my your his her its our
    their this that these those who whom whose which what when where why how it he
    she we they you me him us them dear hi hello thanks thank please regards
    """.split()  # noqa: SIM905 - a word list reads better as text
)


# English derivational and inflectional endings: a lower-case word outside the
# vocabulary but built like an English word ("photosynthesis", "refactoring")
# is most likely not a name. Endings common in names (-er, -ed, -ly, -ous,
# -wise: "Rupprechter", "Alahmed", "Mattingly") are left out on purpose.
_ENGLISH_ENDING = re.compile(
    r"(?:tion|sion|tions|ment|ments|ness|ity|ism|ology|ical|sis|ing|ings|able|ible|"
    r"ive|ize|ise|izes|ises|ized|ised|ful|less|ance|ence|ship)$"
)


def _known_word(bare: str, *, inflected: bool) -> bool:
    """An ordinary word; `inflected` also tries the dictionary's missing endings."""
    if not _LATIN.match(bare):  # only Latin-script words are checked
        return True
    if is_word(bare) or (inflected and known_lower_word(bare)):
        return True
    if bare.endswith("s") and is_word(bare[:-1]):  # plurals
        return True
    return len(bare) >= 7 and _ENGLISH_ENDING.search(bare) is not None


def starts_sentence(text: str, start: int) -> bool:
    """The word at `start` opens a sentence, a line or a list item."""
    index = start - 1
    while index >= 0 and text[index] in _OPENERS:
        index -= 1
    return index < 0 or text[index] in _SENTENCE_END


def _listed_answer(text: str, start: int) -> bool:
    """The word opens an answer in an exam option's list ("B. Wrong, Not wrong")."""
    index = start - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    return index >= 0 and text[index] == "," and in_option_line(text, start)


def _is_name_like(text: str, word: str, start: int, *, exam: bool = False) -> bool:
    if _PRONOUN_I.match(word):
        return False
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2:
        return False  # a letter alone ("vitamin C", "option B") names nobody
    if exam and any(c.isdigit() for c in word):
        return False  # a test question's formula or code: "MgSO4", "CIFAR-10"
    bare = word.lower().replace("\u2019", "'").split("'")[0]
    if (bare in _FUNCTION_WORDS and not word.isupper()) or bare in CALENDAR_AND_ANSWERS:
        return False
    if any(c.isupper() for c in letters):
        if all(c.isupper() for c in letters):
            # "SKF", "JNJ", "JOHN"; not "GDP", "II", nor a test question's "NAFTA", "IP"
            return not (common_acronym(word) or (exam and bare not in given_names()))
        if any(a.islower() and b.isupper() for a, b in itertools.pairwise(word)):
            return not exam  # "OpenAI"; in a test question a unit or code ("mL", "nameList")
        known = _known_word(bare, inflected=False)
        if known and exam and (title_word(bare) or _listed_answer(text, start)):
            return False  # a test question's "the Great War", "Source 1", "B. Wrong, Wrong"
        return not known or not starts_sentence(text, start)
    if exam:
        return False  # a test question's "ferritin", "introns", "frac": terms, not names
    return len(bare) >= 3 and not _known_word(bare, inflected=True)


def _after_prefix(word: str, start: int) -> tuple[str, int]:
    """Without a lower-case word before a hyphen: "post-Cold" -> "Cold", "non-European".

    The part after the prefix is judged alone, as if it opened no sentence, so
    "post-Cold" is as much a name as "Cold" mid-sentence, and a listed name after
    the prefix ("non-European") reaches the public-knowledge step on its own.
    """
    prefix, hyphen, rest = word.partition("-")
    if hyphen and rest and prefix.islower() and known_lower_word(prefix) and rest[0].isupper():
        return rest, start + len(prefix) + 1
    return word, start


@dataclass(frozen=True)
class NameLikeDetector:
    """A `Detector` for capitalised, rare and domain-like words (see the module docstring)."""

    name = "names"

    def detect(self, text: str) -> list[Finding]:
        """Return a `NAME_LIKE` finding per name-like word or bare domain in `text`."""
        spans = [m.span() for m in _DOMAIN.finditer(text)]
        spans += [m.span() for m in _DOTTED_CAPITALS.finditer(text)]
        # Sorted spans already reported; bisect keeps a large document linear-ish.
        taken = sorted(spans)
        starts = [span[0] for span in taken]
        exam = multiple_choice(text)
        for match in _WORD.finditer(text):
            start = match.start()
            i = bisect.bisect_right(starts, start) - 1
            if i >= 0 and taken[i][0] <= start < taken[i][1]:
                continue
            if _CASELESS.search(match.group()):
                continue  # reported as a whole run below
            word, start = _after_prefix(match.group(), start)
            if _is_name_like(text, word, start, exam=exam):
                spans.append((start, match.end()))
        findings = [self._finding(NAME_LIKE, start, end) for start, end in spans]
        findings += [self._finding(UNCHECKED_SCRIPT, *m.span()) for m in _CASELESS.finditer(text)]
        return sorted(findings, key=lambda f: (f.start, f.end))

    def _finding(self, kind: str, start: int, end: int) -> Finding:
        return Finding(type=kind, start=start, end=end, confidence=_CONFIDENCE, detector=self.name)
