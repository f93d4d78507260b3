"""Public questions with known answers, to profile the device's own model on.

RouteLLM's MMLU and GSM8K files (`../shared/data/routellm`, loaded by
`router.learn.datasets`) hold each prompt with GPT-4's and Mixtral's
correctness, which stand in for the cloud and the edge tiers. The answers come
from elsewhere:

- GSM8K: `gsm8k_test.jsonl` (the GSM8K test set), the number after `####` of the
  question with the same text.
- MMLU: RouteLLM's copy has no answer key; `benchmarks/data/mmlu_answer_key.tsv`
  gives the correct letter of a fixed sample of about 1,000 of its prompts,
  keyed by `prompt_id` (see benchmarks/data/README.md). Prompts outside the
  key are left out.

A reply is graded by `grade`: for MMLU the first standalone letter A-D
(`answer_letter`), for GSM8K the last number in the reply
(`router.learn.profiler.exact_quality`).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from router.learn.datasets import load_routellm
from router.learn.profile import Outcome
from router.learn.profiler import exact_quality, last_number

BENCHMARKS = ("mmlu", "gsm8k")
_LETTER = re.compile(r"(?<![A-Za-z])([ABCD])(?![A-Za-z])")


@dataclass(frozen=True)
class GradedQuestion:
    """A public question, its known answer, and how the stand-in tiers did on it."""

    id: str
    benchmark: str
    prompt: str
    reference: str
    tiers: Mapping[str, Outcome]
    """GPT-4 (cloud) and Mixtral (edge): correctness and list-price cost estimates."""


def prompt_id(text: str) -> str:
    """A prompt's key in the MMLU answer-key file: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_key(path: Path) -> dict[str, str]:
    """An answer-key file (`prompt_id<TAB>letter` lines, `#` comments) as id -> letter."""
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return {row[0]: row[1] for row in rows if len(row) == 2 and not row[0].startswith("#")}


def answer_letter(reply: str) -> str | None:
    """The first standalone A, B, C or D in a reply."""
    found = _LETTER.search(reply)
    return found.group(1) if found else None


def grade(benchmark: str, reply: str, reference: str) -> tuple[str | None, bool]:
    """The answer read from `reply` and whether it is the reference."""
    if benchmark == "mmlu":
        letter = answer_letter(reply)
        return letter, letter == reference
    return last_number(reply), exact_quality(reply, reference) == 1.0


def gsm8k_answers(path: Path) -> dict[str, str]:
    """GSM8K test questions (stripped) -> the number after `####` in their worked answer."""
    answers: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            final = str(row["answer"]).rsplit("####", 1)[-1].strip().replace(",", "")
            answers[str(row["question"]).strip()] = final
    return answers


def _answer_lookup(
    root: Path, benchmark: str, mmlu_key: Path | None
) -> Callable[[str], str | None]:
    """A prompt -> its known answer (None when unknown), for one benchmark."""
    if benchmark == "mmlu":
        if mmlu_key is None:
            raise ValueError("MMLU needs its answer key file")
        key = load_key(mmlu_key)
        return lambda prompt: key.get(prompt_id(prompt))
    if benchmark == "gsm8k":
        answers = gsm8k_answers(root / "gsm8k_test.jsonl")
        return lambda prompt: answers.get(prompt.strip())
    raise ValueError(f"unknown benchmark {benchmark!r}; expected one of {BENCHMARKS}")


def load_graded(root: Path, benchmark: str, mmlu_key: Path | None = None) -> list[GradedQuestion]:
    """One benchmark's questions that have a known answer, contaminated prompts left out."""
    answer_of = _answer_lookup(root, benchmark, mmlu_key)
    questions = []
    for record in load_routellm(root, benchmark):
        reference = answer_of(record.prompt)
        if reference is not None:
            questions.append(
                GradedQuestion(record.id, benchmark, record.prompt, reference, record.endpoints)
            )
    return questions


def in_fixed_order(questions: Sequence[GradedQuestion], limit: int | None) -> list[GradedQuestion]:
    """The questions in a fixed shuffle (seed 0), the first `limit` of them.

    A shuffle, so that a short run mixes subjects and benchmarks; fixed, so
    that a re-run with the same limit asks the same questions (and resumes).
    """
    ordered = sorted(questions, key=lambda q: q.id)
    random.Random(0).shuffle(ordered)
    return ordered if limit is None else ordered[: max(0, limit)]
