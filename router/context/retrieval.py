"""Ranking earlier turns by relevance to the new message.

`Retriever` is the seam: the handoff packer asks it to rank candidate turns
(already filtered for privacy) and takes the best that fit. Two implementations:

- `EmbeddingRetriever`: in memory, MiniLM cosine similarity plus a BM25 lexical
  score. Embeddings miss exact names and numbers ("Falcon", "2022") that a
  question repeats, and BM25 misses paraphrase; the sum catches both.
- `MemoryStoreRetriever`: adapts the Chroma memory (`MemoryStore.search`) and
  only ever returns turns among the candidates, so the privacy filtering done
  by the packer holds whatever the index contains.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from router.context.turns import HistoryTurn, ScoredTurn
from router.errors import TandemError

if TYPE_CHECKING:
    from router.memory.embedding import Embedder
    from router.memory.records import MemoryHit

_log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+")
# Words so common that matching them says nothing about relevance.
_STOPWORDS_TEXT = (
    "a an and are as at be been but by did do does for from had has have he her him his how i "
    "in is it its me my of on or our she so that the their them they this to was we were what "
    "when where which who why will with would you your about any can could into just like not "
    "than then there these those up out if also very really too"
)
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


class Retriever(Protocol):
    """Ranks candidate turns by relevance to a query."""

    def rank(self, query: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
        """Return candidates (a subset is fine) with scores, most relevant first."""
        ...


def words(text: str) -> list[str]:
    """Lower-cased content words, crudely stemmed so `painted` matches `paint`."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        out.append(word)
    return out


def bm25_scores(
    query: str, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75
) -> npt.NDArray[np.float64]:
    """BM25 of each tokenised document for `query`, with statistics from `documents`."""
    n = len(documents)
    scores = np.zeros(n, dtype=np.float64)
    terms = set(words(query))
    if not n or not terms:
        return scores
    lengths = np.array([len(d) for d in documents], dtype=np.float64)
    mean_length = max(float(lengths.mean()), 1.0)
    counts = [Counter(d) for d in documents]
    for term in terms:
        df = sum(1 for c in counts if term in c)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        tf = np.array([c.get(term, 0) for c in counts], dtype=np.float64)
        scores += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / mean_length))
    return scores


class EmbeddingRetriever:
    """Hybrid dense + lexical ranking over turns held in memory.

    hybrid = cosine(query, turn) + lexical_weight * bm25 / max(bm25), and each
    turn's score adds `neighbour_weight` times the best hybrid of the turns next
    to it, because an answer often only makes sense with the question before it
    ("Yes, last year!") and the pair is what a question retrieves. The defaults
    were chosen on LoCoMo (benchmarks/handoff.py); recall there varies by about
    a point over lexical 0.3-0.6 and neighbour 0.2-0.6.
    Embeddings are cached by text, so re-ranking a growing history only embeds
    the new turns.
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        lexical_weight: float = 0.5,
        neighbour_weight: float = 0.4,
        dense: bool = True,
    ) -> None:
        """`embedder` defaults to the process-wide MiniLM embedder (loaded on first use).

        `dense` False ranks by words alone (BM25 and neighbours): where the embedder
        cannot run (no onnxruntime, as on a phone), nothing is embedded.
        """
        self._embedder = embedder
        self.dense = dense
        self.lexical_weight = lexical_weight
        self.neighbour_weight = neighbour_weight
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._words: dict[str, list[str]] = {}

    def _embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if self._embedder is None:
            from router.memory.embedding import shared_embedder

            self._embedder = shared_embedder()
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self._embedder.embed(missing), strict=True):
                self._vectors[text] = vector
        return np.stack([self._vectors[t] for t in texts])

    def _dense_scores(
        self, query: str, candidates: Sequence[HistoryTurn], texts: list[str]
    ) -> npt.NDArray[np.float64]:
        """Cosine similarity of each candidate to the query (zeros when not `dense`)."""
        if not self.dense:
            return np.zeros(len(texts), dtype=np.float64)
        matrix = self._embed(texts)
        query_vector = self._embed([query])[0]
        scores: npt.NDArray[np.float64] = (matrix @ query_vector).astype(np.float64)
        return scores

    def warm(self, turns: Sequence[HistoryTurn]) -> None:
        """Embed turns ahead of time (e.g. as they are committed)."""
        if turns and self.dense:
            self._embed([t.search_text() for t in turns])

    def rank(self, query: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
        """Every candidate with its hybrid score, best first."""
        if not candidates:
            return []
        texts = [t.search_text() for t in candidates]
        hybrid = self._dense_scores(query, candidates, texts)
        if self.lexical_weight:
            docs = [self._words.setdefault(t, words(t)) for t in texts]
            lexical = bm25_scores(query, docs)
            top = float(lexical.max())
            if top > 0:
                hybrid += self.lexical_weight * lexical / top
        scores = hybrid.copy()
        if self.neighbour_weight:
            by_seq = {t.seq: i for i, t in enumerate(candidates)}
            for i, turn in enumerate(candidates):
                near = [hybrid[by_seq[s]] for s in (turn.seq - 1, turn.seq + 1) if s in by_seq]
                if near:
                    scores[i] += self.neighbour_weight * max(near)
        order = np.argsort(-scores, kind="stable")
        return [ScoredTurn(candidates[int(i)], float(scores[int(i)])) for i in order]


class MemorySearch(Protocol):
    """The part of `router.memory.store.MemoryStore` retrieval needs."""

    def search(
        self,
        query: str,
        *,
        session_id: str | None = ...,
        k: int = ...,
        exclude_turn_ids: Sequence[str] = ...,
    ) -> Sequence[MemoryHit]:
        """Stored turns most similar to `query`, best first."""
        ...


class MemoryStoreRetriever:
    """Ranks candidates with the Chroma memory; hits that are not candidates are dropped.

    Candidates the index did not return are not ranked at all, so a stale or
    partial index loses recall but can never add a turn the packer filtered out.
    """

    def __init__(self, store: MemorySearch, session_id: str, k: int = 32) -> None:
        """Search `session_id`'s turns in `store`, `k` hits per query."""
        self.store, self.session_id, self.k = store, session_id, k

    def rank(self, query: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
        """The candidates the memory finds for `query`, in its order."""
        by_id = {t.turn_id: t for t in candidates if t.turn_id}
        if not by_id:
            return []
        hits = self.store.search(query, session_id=self.session_id, k=self.k)
        out: list[ScoredTurn] = []
        seen: set[str] = set()
        for hit in hits:
            turn = by_id.get(hit.turn_id)
            if turn is not None and hit.turn_id not in seen:
                seen.add(hit.turn_id)
                out.append(ScoredTurn(turn, float(hit.score)))
        return out


class HybridMemoryRetriever(EmbeddingRetriever):
    """The hybrid ranking, with the dense half read from the Chroma memory.

    The turns' vectors are already in the index, so nothing is re-embedded after
    a restart; only the query is embedded (by the store). A candidate the index
    does not return (not indexed yet) keeps a dense score of 0 and can still win
    on keywords or as a neighbour.
    """

    def __init__(
        self,
        store: MemorySearch,
        session_id: str,
        *,
        lexical_weight: float = 0.5,
        neighbour_weight: float = 0.4,
    ) -> None:
        """Search `session_id`'s turns in `store`, weighting as `EmbeddingRetriever` does."""
        super().__init__(lexical_weight=lexical_weight, neighbour_weight=neighbour_weight)
        self.store, self.session_id = store, session_id

    def _dense_scores(
        self, query: str, candidates: Sequence[HistoryTurn], texts: list[str]
    ) -> npt.NDArray[np.float64]:
        try:
            hits = self.store.search(query, session_id=self.session_id, k=len(candidates))
        except TandemError as exc:  # index locked, damaged or unreachable: embed here instead
            _log.warning("memory search failed (%s); ranking without the index", exc.message)
            return super()._dense_scores(query, candidates, texts)
        by_id = {hit.turn_id: float(hit.score) for hit in hits}
        return np.array([by_id.get(t.turn_id, 0.0) for t in candidates], dtype=np.float64)
