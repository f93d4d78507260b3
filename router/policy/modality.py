"""Joint endpoint and attachment selection: which attachments go with the turn.

Each attachment gets a relevance to the question (cosine similarity of
embeddings when an embedder is given, else word overlap with its excerpt or
file name) and a token cost at the chosen endpoint. The most relevant ones are
kept while they are worth their cost and fit the endpoint's window; attachments
a privacy rule keeps local never go to an off-device endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from router.policy.estimate import EXPECTED_OUTPUT_TOKENS, Weights
from router.policy.features import AttachmentInfo, Embedder, EndpointState, TurnFeatures


def _wordset(words: str) -> frozenset[str]:
    """A set of the space-separated words (keeps long word lists readable)."""
    return frozenset(words.split())


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = _wordset(
    "a an the is are was were be of to in on at for and or with this that it its my me i you "
    "what which how does do did can could should would there any view photo image picture file "
    "please show tell look"
)
EXCERPT_CHARS = 200
"""Characters of each attachment's excerpt embedded for relevance."""
MIN_RELEVANCE = 0.15
"""Below this (after its cost is taken off) an attachment is left out, if others are relevant."""


@dataclass(frozen=True)
class Selection:
    """The attachments chosen for one endpoint, and one line about the rest."""

    sent: tuple[str, ...]
    dropped: tuple[str, ...]
    note: str


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP)


def relevance(
    question: str,
    attachments: Sequence[AttachmentInfo],
    embedder: Embedder | None = None,
    question_vector: np.ndarray | None = None,
) -> list[float]:
    """Relevance in [0, 1] of each attachment to the question."""
    if not attachments:
        return []
    if embedder is not None:
        vector = question_vector if question_vector is not None else embedder.embed([question])[0]
        rows = embedder.embed([(a.excerpt or a.name)[:EXCERPT_CHARS] for a in attachments])
        return [max(0.0, float(x)) for x in rows @ vector]
    asked = _words(question)
    scores: list[float] = []
    for info in attachments:
        words = _words(info.excerpt or info.name)
        # Share of the attachment's words the question mentions, so short names can match fully.
        scores.append(len(asked & words) / len(words) if words and asked else 0.0)
    return scores


def select_attachments(
    features: TurnFeatures,
    state: EndpointState,
    question: str,
    weights: Weights,
    embedder: Embedder | None = None,
) -> Selection:
    """Choose the attachments to send to `state` for this turn.

    With no relevance signal at all (the question mentions none of them) every
    attachment that fits is sent: the user attached them for a reason.
    """
    pool = [a for a in features.attachments if not (state.remote and a.kept_local)]
    kept_out = [a.name for a in features.attachments if a not in pool]
    if not pool:
        note = f"kept on the device: {', '.join(kept_out)}" if kept_out else ""
        return Selection((), tuple(kept_out), note)
    # One candidate needs no ranking (and no embedding): only its cost and fit matter.
    scores = (
        relevance(question, pool, embedder, features.embedding if embedder else None)
        if len(pool) > 1
        else [0.0]
    )
    room = state.context_window - features.tokens - features.history_tokens
    room -= EXPECTED_OUTPUT_TOKENS
    signal = max(scores) > 0.0 and len(pool) > 1
    ranked = sorted(zip(pool, scores, strict=True), key=lambda p: -p[1])
    sent: list[str] = []
    dropped: list[str] = list(kept_out)
    used = 0
    for info, score in ranked:
        price = info.tokens * state.price_in_per_token / max(weights.willingness_to_pay_usd, 1e-9)
        worth = not signal or score - price >= MIN_RELEVANCE
        if worth and used + info.tokens <= room:
            sent.append(info.name)
            used += info.tokens
        else:
            dropped.append(info.name)
    # Keep the user's order for what is sent.
    order = {a.name: i for i, a in enumerate(features.attachments)}
    sent.sort(key=order.__getitem__)
    note = f"sent {len(sent)} of {len(features.attachments)} attachments" if dropped else ""
    return Selection(tuple(sent), tuple(dropped), note)
