"""Conversation-memory speed: insert throughput and search latency at 1k/10k/50k turns.

    .venv/bin/python benchmarks/memory.py [--sizes 1000,10000,50000] [--queries 200]

Builds one on-device `MemoryStore` (embedded Chroma, in a temporary folder)
and grows it through the sizes. Synthetic turns are generated
deterministically from templates, topics and numbers. Per size it prints:

* insert turns/s: embedding (all-MiniLM-L6-v2 int8, batched) plus the Chroma
  upsert, and the Chroma upsert alone;
* search p50/p95: `MemoryStore.search` end to end (embedding the query with the
  app's one-thread embedder, locks, Chroma query, hits), and the Chroma part
  alone (`search_vector` on the already embedded query);
* the baseline in the same run: brute-force numpy cosine (matrix @ query, top-k)
  over the same vectors, and recall@k of Chroma's HNSW against it.

The goal is search p95 <= 30 ms at 50k turns. The last line is
`summary: n=<size> search_p95_ms=<x> chroma_p95_ms=<y> numpy_p95_ms=<z> ...` per size.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.memory.embedding import MiniLMEmbedder, Vectors, shared_embedder  # noqa: E402
from router.memory.index import EmbeddedIndex  # noqa: E402
from router.memory.store import MemoryStore, document  # noqa: E402
from router.types import Turn  # noqa: E402

TOPICS = {
    "cooking": ["sourdough", "risotto", "cast iron pan", "knife", "oven", "spice rack"],
    "travel": ["train pass", "visa", "hostel", "layover", "rental car", "passport"],
    "python": ["asyncio", "decorator", "virtualenv", "type hint", "generator", "pytest"],
    "health": ["sleep", "blood pressure", "running shoes", "vitamin D", "stretching"],
    "finance": ["index fund", "mortgage", "tax return", "budget", "credit score"],
    "garden": ["tomatoes", "compost", "aphids", "pruning", "raised bed", "seedlings"],
    "music": ["guitar chords", "metronome", "piano scales", "mixing", "microphone"],
    "cars": ["tyre pressure", "brake pads", "oil change", "battery", "winter tyres"],
    "pets": ["puppy training", "cat litter", "aquarium", "vet visit", "dog food"],
    "home": ["leaking tap", "paint colour", "insulation", "smoke detector", "drill"],
    "math": ["eigenvalues", "integrals", "probability", "prime numbers", "matrices"],
    "writing": ["cover letter", "essay outline", "poem", "short story", "grant proposal"],
}
QUESTIONS = [
    "How do I deal with my {thing} when {context}?",
    "What's the best way to choose a {thing} for {context}?",
    "Can you explain how a {thing} works, in simple terms?",
    "Is it normal that my {thing} {problem} after {n} days?",
    "Compare two options for {thing} given {context}.",
    "Give me a {n}-step checklist about {thing}.",
    "Why does my {thing} keep {problem}?",
    "Summarise what we said about {thing} and {other}.",
]
ANSWERS = [
    "For {thing}, start small: {n} minutes a day and adjust to {context}.",
    "Most people pick a {thing} by budget first; with {context}, look at durability.",
    "When a {thing} {problem}, check {other} first; it is the usual cause.",
    "Step one is to understand {thing}; then relate it to {other} and {context}.",
]
CONTEXTS = [
    "a small flat",
    "a tight budget",
    "two kids at home",
    "a long winter",
    "a busy work week",
    "a beginner",
    "a trip abroad",
    "an old laptop",
    "a humid climate",
]
PROBLEMS = ["breaks", "gets worse", "stops working", "smells odd", "slows down", "fails"]


def synthetic_turns(count: int, seed: int = 7) -> list[Turn]:
    """`count` varied, deterministic turns spread over conversations of 20 turns."""
    rng = random.Random(seed)
    topics = list(TOPICS)
    turns = []
    for i in range(count):
        topic = topics[rng.randrange(len(topics))]
        thing, other = rng.sample(TOPICS[topic], 2)
        fill = {
            "thing": thing,
            "other": other,
            "context": rng.choice(CONTEXTS),
            "problem": rng.choice(PROBLEMS),
            "n": rng.randint(2, 40),
        }
        turns.append(
            Turn(
                session_id=f"bench-{i // 20}",
                seq=i % 20,
                user_text=rng.choice(QUESTIONS).format(**fill),
                answer=rng.choice(ANSWERS).format(**fill),
                status="complete",
            )
        )
    return turns


def query_texts(count: int, seed: int = 11) -> list[str]:
    """Short user-like queries about the same topics, phrased differently from the turns."""
    rng = random.Random(seed)
    things = [t for items in TOPICS.values() for t in items]
    forms = ["what did we say about {t}?", "{t} problems", "help with {t} and {c}", "{t}"]
    return [
        rng.choice(forms).format(t=rng.choice(things), c=rng.choice(CONTEXTS)) for _ in range(count)
    ]


def _ms(samples: list[float], q: float) -> float:
    return 1000 * statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else 0.0


def _embed_all(turns: list[Turn], threads: int) -> tuple[Vectors, float]:
    embedder = MiniLMEmbedder(threads=threads)
    embedder.embed(["warm up"])
    rows: list[Vectors] = []
    started = time.perf_counter()
    step = 512
    for start in range(0, len(turns), step):
        rows.append(embedder.embed([document(t) for t in turns[start : start + step]], 64))
        done = min(start + step, len(turns))
        print(f"\rembedding {done}/{len(turns)} turns", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return np.concatenate(rows), time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="stored turns, ascending")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per size")
    parser.add_argument("-k", type=int, default=5, help="hits per query")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="bulk embed")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    turns = synthetic_turns(sizes[-1])
    vectors, embed_s = _embed_all(turns, args.threads)
    per_turn_embed_s = embed_s / len(turns)
    queries = query_texts(args.queries)
    app_embedder = shared_embedder()  # one thread, as in the app
    query_vectors = app_embedder.embed(queries)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore(EmbeddedIndex(Path(tmp) / "memory", "turns"), embedder=app_embedder)
        stored = 0
        for size in sizes:
            started = time.perf_counter()
            for start in range(stored, size, 256):
                end = min(start + 256, size)
                store.add_embedded(turns[start:end], vectors[start:end])
            index_s = time.perf_counter() - started
            added = size - stored
            stored = size
            print(f"indexed {size} turns", file=sys.stderr)
            matrix = vectors[:size]
            full, chroma, brute, recall = [], [], [], []
            for text, vec in zip(queries, query_vectors, strict=True):
                t0 = time.perf_counter()
                store.search(text, k=args.k)
                t1 = time.perf_counter()
                hits = store.search_vector(vec, k=args.k)
                t2 = time.perf_counter()
                scores = matrix @ vec
                top = np.argpartition(-scores, args.k)[: args.k]
                top = top[np.argsort(-scores[top])]
                t3 = time.perf_counter()
                full.append(t1 - t0)
                chroma.append(t2 - t1)
                brute.append(t3 - t2)
                exact = {turns[i].id for i in top}
                recall.append(len(exact & {h.turn_id for h in hits}) / args.k)
            rows.append(
                {
                    "n": size,
                    "insert": added / (added * per_turn_embed_s + index_s),
                    "index_only": added / index_s,
                    "search_p50": _ms(full, 50),
                    "search_p95": _ms(full, 95),
                    "chroma_p50": _ms(chroma, 50),
                    "chroma_p95": _ms(chroma, 95),
                    "numpy_p50": _ms(brute, 50),
                    "numpy_p95": _ms(brute, 95),
                    "recall": statistics.mean(recall),
                }
            )
        store.close()

    print(
        f"{len(turns)} synthetic turns; embedding {len(turns) / embed_s:.0f} turns/s "
        f"on {args.threads} threads; {args.queries} queries, k={args.k}"
    )
    print()
    print(
        "| stored turns | insert turns/s (embed+index) | index-only turns/s "
        "| search p50 / p95 ms | Chroma query p50 / p95 ms | numpy brute force p50 / p95 ms "
        f"| recall@{args.k} vs brute force |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['n']:,} | {r['insert']:.0f} | {r['index_only']:.0f} "
            f"| {r['search_p50']:.1f} / {r['search_p95']:.1f} "
            f"| {r['chroma_p50']:.1f} / {r['chroma_p95']:.1f} "
            f"| {r['numpy_p50']:.2f} / {r['numpy_p95']:.2f} | {r['recall']:.3f} |"
        )
    print()
    goal = [r for r in rows if r["n"] == 50_000]
    verdict = (
        f"goal p95<=30ms@50k: {'met' if goal[0]['search_p95'] <= 30 else 'missed'}"
        if goal
        else "goal p95<=30ms@50k: not measured"
    )
    print(verdict)
    print(
        "summary: "
        + "; ".join(
            f"n={r['n']} search_p95_ms={r['search_p95']:.1f} chroma_p95_ms={r['chroma_p95']:.1f} "
            f"numpy_p95_ms={r['numpy_p95']:.2f} insert_per_s={r['insert']:.0f} "
            f"recall={r['recall']:.3f}"
            for r in rows
        )
    )


if __name__ == "__main__":
    main()
