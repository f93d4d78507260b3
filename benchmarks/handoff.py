"""Context handoff on LoCoMo: does the evidence for a question survive packing?

    .venv/bin/python benchmarks/handoff.py [--data locomo.json] [--budget 1000]

For every QA item of categories 1-4, the whole conversation is the history and
the question is the new message. Three packers build the context:

* handoff  : `router.context.handoff.pack_handoff` (recent turns verbatim plus
             earlier turns retrieved by hybrid MiniLM + BM25 relevance)
* last-N   : `router.context.pack.pack` (the newest whole turns that fit)
* full     : the whole history, whatever its size

Evidence recall is the share of an item's `evidence` dia_ids whose utterance
text appears in the packed messages, averaged over items; tokens are the
prompt tokens of the packed messages (chat framing included), counted with a
real tokenizer named in the output. The evidence labels are read only to score
the packed context, never to build it. No session summary is used: it needs a
local-model call per refresh (see the README).

The last line is `evidence_recall=<x> tokens=<mean>` for the handoff packer at
`--budget`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.context.handoff import HandoffPlan, pack_handoff  # noqa: E402
from router.context.pack import pack  # noqa: E402
from router.context.retrieval import EmbeddingRetriever  # noqa: E402
from router.context.turns import HistoryTurn, ScoredTurn  # noqa: E402
from router.endpoints.base import Endpoint, StreamEvent, TokenDelta  # noqa: E402
from router.types import GenerationOptions, Message, Role, ToolSpec, TurnRequest  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "locomo" / "locomo_dev2.json"
BUDGETS = (500, 1000, 2000)
SYSTEM_PROMPT = "You are Tandem, a helpful assistant. Answer from the conversation."
_SESSION = re.compile(r"^session_(\d+)$")


# ---------------------------------------------------------------- data loading


@dataclass(frozen=True)
class Utterance:
    dia_id: str
    speaker: str
    text: str
    date: str
    seq: int
    role: Role


@dataclass(frozen=True)
class Question:
    question: str
    evidence: tuple[str, ...]
    category: int


@dataclass(frozen=True)
class Conversation:
    name: str
    utterances: tuple[Utterance, ...]
    questions: tuple[Question, ...]


def _date(raw: Any) -> str:
    """`1:56 pm on 8 May, 2023` -> `8 May 2023`; anything else as given."""
    text = str(raw or "").strip()
    text = text.split(" on ", 1)[-1] if " on " in text else text
    return text.replace(",", "")


def _category(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _evidence(raw: Any) -> tuple[str, ...]:
    """Evidence ids, whether a list, one string, or `D1:3; D2:4` in one entry."""
    items = raw if isinstance(raw, list) else [raw]
    ids: list[str] = []
    for item in items:
        ids += [p for p in re.split(r"[;,\s]+", str(item or "")) if p]
    return tuple(ids)


def load_conversations(path: Path) -> list[Conversation]:
    """Every conversation in a LoCoMo-format file (a list of samples, or one sample)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(raw, dict):
        raw = raw.get("data") or raw.get("samples") or [raw]
    out = []
    for n, sample in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(sample, dict):
            continue
        conv = sample.get("conversation") or {}
        if not isinstance(conv, dict):
            continue
        speaker_a = str(conv.get("speaker_a") or "")
        sessions = sorted((int(m.group(1)), key) for key in conv if (m := _SESSION.match(key)))
        utterances: list[Utterance] = []
        for number, key in sessions:
            turns = conv.get(key)
            if not isinstance(turns, list):
                continue
            date = _date(conv.get(f"{key}_date_time")) or f"session {number}"
            for i, turn in enumerate(turns, 1):
                if not isinstance(turn, dict):
                    continue
                text = str(turn.get("text") or "").strip()
                caption = str(turn.get("blip_caption") or "").strip()
                if not text and not caption:
                    continue
                speaker = str(turn.get("speaker") or "")
                speaker_a = speaker_a or speaker
                role: Role = "user" if speaker == speaker_a else "assistant"
                if caption:  # the photo a speaker shared, as LoCoMo describes it
                    text = f"{text} [shares a photo: {caption}]".strip()
                utterances.append(
                    Utterance(
                        dia_id=str(turn.get("dia_id") or f"D{number}:{i}"),
                        speaker=speaker,
                        text=text,
                        date=date,
                        seq=len(utterances),
                        role=role,
                    )
                )
        questions = []
        for qa in sample.get("qa") or []:
            if not isinstance(qa, dict):
                continue
            category = _category(qa.get("category"))
            question = str(qa.get("question") or "").strip()
            evidence = _evidence(qa.get("evidence"))
            if category in (1, 2, 3, 4) and question and evidence:
                questions.append(Question(question, evidence, category))
        name = str(sample.get("sample_id") or f"conversation-{n}")
        out.append(Conversation(name, tuple(utterances), tuple(questions)))
    return out


def history_of(conversation: Conversation) -> list[HistoryTurn]:
    """Each utterance as one history turn, labelled with its session's date."""
    return [
        HistoryTurn(
            seq=u.seq,
            messages=(Message(role=u.role, content=f"{u.speaker}: {u.text}"),),
            turn_id=u.dia_id,
            label=u.date,
            compact=f"{u.speaker}: {u.text}",
        )
        for u in conversation.utterances
    ]


# ---------------------------------------------------------------- token counting


Tokenize = Callable[[str], int]


def bundled_tokenizer(model: str | None) -> tuple[Tokenize, str]:
    """The bundled model's own tokenizer (vocabulary only), or MiniLM's if it is absent."""
    try:
        from llama_cpp import Llama

        if model:
            path = Path(model)
        else:
            from router.models.bundled import assemble_bundled
            from router.paths import resolve_paths

            path = assemble_bundled(resolve_paths().ensure().models_dir)
        llama = Llama(model_path=str(path), vocab_only=True, verbose=False)

        def count(text: str) -> int:
            return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

        return count, f"{path.name} vocabulary via llama.cpp (ChatML framing)"
    except Exception as exc:  # no bundled model installed: still a real tokenizer
        from router.memory.embedding import load_tokenizer

        tokenizer = load_tokenizer()
        tokenizer.no_truncation()
        tokenizer.no_padding()

        def count_minilm(text: str) -> int:
            return len(tokenizer.encode(text, add_special_tokens=False).ids)

        return count_minilm, f"all-MiniLM-L6-v2 WordPiece (bundled model unavailable: {exc})"


class CountingEndpoint(Endpoint):
    """An endpoint that only counts tokens: ChatML framing around each message."""

    kind = "local"
    name = "counter"

    def __init__(self, tokenize: Tokenize, window: int = 1_000_000) -> None:
        self._tokenize = tokenize
        self._window = window
        self._cache: dict[tuple[str, str], int] = {}

    @property
    def context_window(self) -> int:
        return self._window

    def with_window(self, window: int) -> CountingEndpoint:
        other = CountingEndpoint(self._tokenize, window)
        other._cache = self._cache
        return other

    def count_tokens(self, messages: Sequence[Message]) -> int:
        total = 3  # `<|im_start|>assistant\n`, the generation prompt
        for m in messages:
            key = (m.role, m.content)
            if key not in self._cache:
                framed = f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n"
                self._cache[key] = self._tokenize(framed)
            total += self._cache[key]
        return total

    async def stream(
        self,
        messages: Sequence[Message],
        options: GenerationOptions,
        tools: Sequence[ToolSpec] = (),
    ) -> AsyncGenerator[StreamEvent, None]:
        raise NotImplementedError("this endpoint only counts tokens")
        yield TokenDelta(text="")  # unreachable: it makes this an async generator


# ---------------------------------------------------------------- packers


class MemoRetriever:
    """Ranks each question once; the three budgets reuse the ranking."""

    def __init__(self, inner: EmbeddingRetriever) -> None:
        self.inner = inner
        self._memo: dict[tuple[str, int], list[ScoredTurn]] = {}

    def rank(self, query: str, candidates: Sequence[HistoryTurn]) -> list[ScoredTurn]:
        key = (query, len(candidates))
        if key not in self._memo:
            self._memo[key] = self.inner.rank(query, candidates)
        return self._memo[key]


def recall(packed: Sequence[Message], evidence: Sequence[str], texts: dict[str, str]) -> float:
    """Share of evidence ids (those the conversation has) whose text is in the messages."""
    known = [e for e in evidence if e in texts]
    if not known:
        return 0.0
    blob = "\n".join(m.content for m in packed)
    return sum(texts[e] in blob for e in known) / len(known)


@dataclass
class Tally:
    recalls: list[float]
    tokens: list[int]


def run(args: argparse.Namespace) -> int:
    tokenize, tokenizer_name = bundled_tokenizer(args.model)
    counter = CountingEndpoint(tokenize)
    conversations = load_conversations(Path(args.data))
    budgets = sorted({*BUDGETS, args.budget})
    retriever = MemoRetriever(
        EmbeddingRetriever(lexical_weight=args.lexical_weight, neighbour_weight=args.neighbours)
    )
    tallies: dict[tuple[str, int], Tally] = {}
    by_category: dict[int, list[float]] = {}
    items = 0
    started = time.perf_counter()
    for conversation in conversations:
        history = history_of(conversation)
        texts = {u.dia_id: u.text for u in conversation.utterances}
        messages = [m for t in history for m in t.messages]
        retriever.inner.warm(history)
        for qa in conversation.questions:
            if not any(e in texts for e in qa.evidence):
                continue  # the evidence names no utterance of this file: nothing to score
            items += 1
            request = TurnRequest(text=qa.question, session_id=conversation.name)
            full = [Message(role="system", content=SYSTEM_PROMPT), *messages, request_message(qa)]
            for budget in budgets:
                plan = HandoffPlan(
                    recent_turns=args.recent,
                    local_retrieved_turns=10_000,  # the budget is the only limit here
                    prompt_budget=budget,
                )
                handoff = pack_handoff(
                    request,
                    history,
                    counter,
                    system_prompt=SYSTEM_PROMPT,
                    reserve_output_tokens=0,
                    plan=plan,
                    retriever=retriever,
                )
                _add(tallies, "handoff", budget, handoff.packed.messages, qa, texts, counter)
                if budget == args.budget:
                    by_category.setdefault(qa.category, []).append(
                        recall(handoff.packed.messages, qa.evidence, texts)
                    )
                last_n = pack(
                    request,
                    messages,
                    counter.with_window(budget),
                    system_prompt=SYSTEM_PROMPT,
                    reserve_output_tokens=0,
                )
                _add(tallies, "last-N", budget, last_n.messages, qa, texts, counter)
            _add(tallies, "full", 0, full, qa, texts, counter)
    elapsed = time.perf_counter() - started
    print(f"data: {args.data} ({len(conversations)} conversations, {items} QA items, cat 1-4)")
    print(f"tokenizer: {tokenizer_name}")
    print(
        f"retrieval: MiniLM-L6 cosine + {args.lexical_weight} x BM25 (normalised) "
        f"+ {args.neighbours} x best neighbour's hybrid score; "
        f"recent turns verbatim: {args.recent}"
    )
    print("summary: not used (it needs a local-model call per refresh; the benchmark is LLM-free)")
    print(f"time: {elapsed:.1f} s\n")
    print("| budget | packer | evidence recall | mean tokens | max tokens |")
    print("|---:|---|---:|---:|---:|")
    for budget in budgets:
        for method in ("handoff", "last-N"):
            _row(str(budget), method, tallies[(method, budget)])
    _row("none", "full", tallies[("full", 0)])
    print(f"\nhandoff at {args.budget} tokens, recall by category:")
    for category in sorted(by_category):
        values = by_category[category]
        print(f"  category {category}: {statistics.fmean(values):.3f} ({len(values)} items)")
    final = tallies.get(("handoff", args.budget))
    if final is None or not final.recalls:
        print("evidence_recall=0.000 tokens=0.0")
        return 1
    print(
        f"evidence_recall={statistics.fmean(final.recalls):.3f} "
        f"tokens={statistics.fmean(final.tokens):.1f}"
    )
    return 0


def request_message(qa: Question) -> Message:
    return Message(role="user", content=qa.question)


def _add(
    tallies: dict[tuple[str, int], Tally],
    method: str,
    budget: int,
    packed: Sequence[Message],
    qa: Question,
    texts: dict[str, str],
    counter: CountingEndpoint,
) -> None:
    tally = tallies.setdefault((method, budget), Tally([], []))
    tally.recalls.append(recall(packed, qa.evidence, texts))
    tally.tokens.append(counter.count_tokens(packed))


def _row(budget: str, method: str, tally: Tally) -> None:
    if not tally.recalls:
        print(f"| {budget} | {method} | - | - | - |")
        return
    print(
        f"| {budget} | {method} | {statistics.fmean(tally.recalls):.3f} | "
        f"{statistics.fmean(tally.tokens):.0f} | {max(tally.tokens)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", default=str(DATA), help="a LoCoMo-format JSON file")
    parser.add_argument("--budget", type=int, default=1000, help="prompt tokens (last line)")
    parser.add_argument("--model", default=None, help="GGUF whose vocabulary counts tokens")
    parser.add_argument("--recent", type=int, default=3, help="recent turns sent verbatim")
    parser.add_argument("--lexical-weight", type=float, default=0.5, help="BM25 share")
    parser.add_argument("--neighbours", type=float, default=0.4, help="neighbour share")
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
