"""Text classification for routing: language, task type, difficulty, follow-ups.

Regexes and word lists, no model; the optional sentence embedding (any
`Embedder`, e.g. MiniLM) only sharpens the difficulty estimate against a few
built-in prototype sentences.
"""

from __future__ import annotations

import math
import re
import threading
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from router.memory.embedding import Embedder, Vectors


def _wordset(words: str) -> frozenset[str]:
    """A set of the space-separated words (keeps long word lists readable)."""
    return frozenset(words.split())


Task = Literal[
    "code", "math", "writing", "translation", "summarization", "extraction", "reasoning", "chat"
]
TASKS: tuple[Task, ...] = (
    "code", "math", "writing", "translation", "summarization", "extraction", "reasoning", "chat",
)  # fmt: skip


_TASK_PATTERNS: tuple[tuple[Task, str], ...] = (
    (
        "code",
        r"```|\b(def|class|function|python|javascript|typescript|rust|java|c\+\+|sql|regex|"
        r"bug|compile[rs]?|stack ?trace|traceback|refactor|unit tests?|api|script|code)\b",
    ),
    (
        "math",
        r"\b(solve|integral|derivative|equation|prove|proof|theorem|probability|matrix|"
        r"calculate|compute)\b|\d\s*[-+*/^=]\s*\d",
    ),
    ("translation", r"\b(translate|translation|in (french|german|spanish|english|italian))\b"),
    ("summarization", r"\b(summari[sz]e|summary|tl;?dr|key points)\b"),
    ("extraction", r"\b(extract|list all|find all|pull out|parse|fill in the table)\b"),
    ("writing", r"\b(write|draft|essay|poem|story|email|letter|rewrite|blog|cover letter)\b"),
    ("reasoning", r"\b(why|explain|compare|analy[sz]e|trade-?offs?|step by step|plan)\b"),
)
_TASK_RULES: tuple[tuple[Task, re.Pattern[str]], ...] = tuple(
    (task, re.compile(pattern, re.IGNORECASE)) for task, pattern in _TASK_PATTERNS
)
_HARD_WORDS = re.compile(
    r"\b(prove|optimi[sz]e|complexity|derive|architecture|concurren\w*|distributed|"
    r"rigorous|edge cases?|trade-?offs?|step by step|formal|theorem|research)\b",
    re.IGNORECASE,
)
FOLLOWUP = re.compile(
    r"^\s*(do it|do that|yes|yeah|ok(ay)?|sure|go ahead|continue|go on|please do|again|"
    r"and (then|now)|now|same|more|why|how|that|this|it)\b",
    re.IGNORECASE,
)
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _wordset("the and is are of to in that it for you with what how this"),
    "de": _wordset("der die das und ist nicht ich ein eine zu mit wie was für"),
    "fr": _wordset("le la les et est des une un que pour avec pas ce qui"),
    "es": _wordset("el la los las y es de que en un una por con para qué"),
    "it": _wordset("il lo la gli e di che è un una per non con come"),
    "pt": _wordset("o a os as e é de que um uma para com não como"),
    "nl": _wordset("de het een en is van dat niet ik met voor wat hoe"),
}
_SCRIPTS: tuple[tuple[str, int, int], ...] = (
    ("zh", 0x4E00, 0x9FFF),
    ("ja", 0x3040, 0x30FF),
    ("ko", 0xAC00, 0xD7AF),
    ("ru", 0x0400, 0x04FF),
    ("ar", 0x0600, 0x06FF),
    ("he", 0x0590, 0x05FF),
    ("el", 0x0370, 0x03FF),
    ("hi", 0x0900, 0x097F),
    ("th", 0x0E00, 0x0E7F),
)
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)

EMBED_CHARS = 128
"""Characters of the question embedded for routing (about 30 tokens)."""

_HARD_PROTOTYPES = (
    "Prove that the algorithm terminates and analyse its worst-case complexity.",
    "Design a distributed system that tolerates network partitions, with trade-offs.",
    "Find the bug in this concurrent code and explain the race condition step by step.",
    "Derive the closed form of this integral and justify each step rigorously.",
)
_EASY_PROTOTYPES = (
    "Hi, how are you today?",
    "What is the capital of France?",
    "Thanks, that helps.",
    "Give me a synonym for happy.",
)


def detect_language(text: str, sample_chars: int = 400) -> str:
    """Best-guess ISO 639-1 code from the script, then stopwords; `unknown` when unsure."""
    sample = text[:sample_chars]
    counts: dict[str, int] = {}
    for char in sample:
        code = ord(char)
        if code < 0x0370:
            continue
        for lang, lo, hi in _SCRIPTS:
            if lo <= code <= hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
    letters = sum(c.isalpha() for c in sample) or 1
    if counts:
        lang, n = max(counts.items(), key=lambda kv: kv[1])
        if n / letters > 0.3:
            # Kana anywhere means Japanese even when kanji dominate.
            return "ja" if counts.get("ja") else lang
    words = [w.lower() for w in _WORDS.findall(sample)]
    hits = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(hits.items(), key=lambda kv: kv[1])
    return best[0] if best[1] > 0 else "unknown"


def classify_task(text: str) -> Task:
    """The first matching task rule, in priority order; `chat` when none match."""
    head = text[:2000]
    for task, pattern in _TASK_RULES:
        if pattern.search(head):
            return task
    return "chat"


def heuristic_difficulty(text: str, task: Task) -> float:
    """Difficulty in [0, 1] from length, task and hard words; no model involved."""
    base = {"math": 0.55, "code": 0.5, "reasoning": 0.45}.get(task, 0.25)
    length = min(len(text) / 2000.0, 1.0) * 0.25
    hard = min(len(_HARD_WORDS.findall(text[:4000])), 3) * 0.1
    return min(1.0, base + length + hard)


_prototype_cache: dict[int, tuple[Vectors, Vectors]] = {}
_prototype_lock = threading.Lock()


def _prototypes(embedder: Embedder) -> tuple[Vectors, Vectors]:
    """Embeddings of the built-in hard/easy sentences, computed once per embedder."""
    key = id(embedder)
    with _prototype_lock:
        if key not in _prototype_cache:
            hard = embedder.embed(list(_HARD_PROTOTYPES))
            easy = embedder.embed(list(_EASY_PROTOTYPES))
            _prototype_cache[key] = (hard, easy)
        return _prototype_cache[key]


def embedding_difficulty(vector: Vectors, embedder: Embedder) -> float:
    """Difficulty in [0, 1] from similarity to the hard vs easy prototypes."""
    hard, easy = _prototypes(embedder)
    margin = float(np.max(hard @ vector)) - float(np.max(easy @ vector))
    return 1.0 / (1.0 + math.exp(-8.0 * margin))
