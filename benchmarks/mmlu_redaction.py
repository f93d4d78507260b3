"""Utility under redaction: MMLU accuracy of one model on the questions as the cloud gets them.

    PYTHONPATH=. .venv/bin/python benchmarks/mmlu_redaction.py
        [--model bundled|x.gguf | --endpoint NAME] [--sample N] [--json PATH]

A fixed sample of MMLU prompts (`../shared/data/routellm/mmlu/*.csv`, seed 0,
RouteLLM's contaminated prompts left out) is answered by the same model three ways:

- original: the prompt as it is;
- before: as the privacy path would send it with the public-knowledge step off
  (the shipped rules less `public-knowledge`: what a turn sent before issue 18);
- after: as the privacy path sends it now (the shipped default settings).

"As sent" is `pupa_leakage.TandemPath` (scan, redact, egress check, transport
guard); the model's answer is then restored with the turn's placeholders, as the
app restores a cloud answer. A question the path keeps on the device (or blocks)
is answered there from the original text, as the app would.

Every way asks the same chat: an instruction, four worked examples (MMLU
questions outside the sample, one for each correct letter, answered with the
letter alone; they are part of the harness and never redacted), then the prompt.
A local GGUF (`--model`) is scored by the letter it prefers at the start of its
reply, less its own bias for each letter measured on 32 unlabelled prompts
outside the sample (`mmlu_models.LetterScorer`: one forward pass, always one of
A-D; the same scorer for every way); an
endpoint of the user's config (`--endpoint`) answers in free text and its answer
is the first standalone letter A-D (none counts as wrong). Identical prompts are
asked once.

The RouteLLM files carry no answer key, so the correct letters come from
`benchmarks/data/mmlu_answer_key.tsv` (see benchmarks/data/README.md). Printed:
accuracy per way, the ratio sent/original (issue 18's goal: >= 0.97), how many
prompts redaction changed, how many answers changed, a paired bootstrap 95%
interval for the accuracy difference and the ratio, and the run's time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.mmlu_data import (
    KEY,
    MmluQuestion,
    build_key,
    load_calibration,
    load_key,
    load_questions,
    load_shots,
)
from benchmarks.mmlu_models import Ask
from benchmarks.paired_bootstrap import PairedInterval, paired_interval
from benchmarks.pupa_leakage import TandemPath, default_scanner
from router.learn.graded import answer_letter
from router.privacy.redact import StreamRestorer
from router.privacy.rules import RuleSet
from router.privacy.scan import Scanner

SAMPLE = 200
"""Prior: about 10 minutes on 2 busy cores with the bundled model (benchmarks/README.md)."""
GOAL_RATIO = 0.97  # issue 18's goal
PUBLIC_RULE = "public-knowledge"


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
    hits: list[bool] = field(default_factory=list)
    """Whether each question, in order, was answered right."""

    def score(self, letter: str | None, question: MmluQuestion) -> None:
        """Record the answer `letter` to `question`."""
        self.letters.append(letter)
        self.hits.append(letter == question.answer)
        self.correct += letter == question.answer

    def interval(self, original: Way) -> PairedInterval:
        """95% intervals of this way against `original`, paired by question."""
        return paired_interval(original.hits, self.hits)

    def as_dict(self, total: int, original: Way) -> dict[str, object]:
        """The figures as JSON-ready values."""
        interval = self.interval(original)
        return {
            "questions": total,
            "correct": self.correct,
            "accuracy": round(self.correct / total, 4) if total else 0.0,
            "ratio": round(self.correct / original.correct, 4) if original.correct else 0.0,
            "ratio_95": [round(x, 4) for x in interval.ratio],
            "difference_95": [round(x, 4) for x in interval.difference],
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
        original.score(letter, question)
        for way, path in zip(ways[1:], paths.values(), strict=True):
            sent = answer_letter(await answer_as_sent(path, question, cached, way))
            way.score(sent, question)
            way.answers_changed += sent != letter
    return ways


def _ratio(correct: int, base: int) -> float:
    return correct / base if base else 0.0


def report(ways: Sequence[Way], total: int, seconds: float) -> list[str]:
    """The printed table, the noise of each sent way, and the goal lines."""
    original = ways[0]
    lines = [
        f"{'way':<34} {'n':>4} {'correct':>7} {'acc%':>6} {'ratio':>6} "
        f"{'changed':>7} {'on device':>9} {'answer changed':>14}"
    ]
    for way in ways:
        accuracy = way.correct / total if total else 0.0
        lines.append(
            f"{way.name:<34} {total:>4} {way.correct:>7} {100 * accuracy:>6.1f} "
            f"{_ratio(way.correct, original.correct):>6.3f} {way.changed:>7} "
            f"{way.on_device:>9} {way.answers_changed:>14}"
        )
    for way in ways[1:]:
        interval = way.interval(original)
        low, high = (100 * x for x in interval.difference)
        lines.append(
            f"{way.name}: 95% interval (paired bootstrap over questions): "
            f"accuracy difference {low:+.1f} to {high:+.1f} points, "
            f"ratio {interval.ratio[0]:.3f} to {interval.ratio[1]:.3f}"
        )
    for way in ways[1:]:
        ratio = _ratio(way.correct, original.correct)
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
    figures: dict[str, object] = {w.name: w.as_dict(len(questions), ways[0]) for w in ways}
    return lines, figures


Closer = Callable[[], Awaitable[None]]


async def model_under_test(args: argparse.Namespace, scratch: Path) -> tuple[str, Ask, Closer]:
    """What `--model` or `--endpoint` names: its name, how to ask it, how to close it."""
    from benchmarks import mmlu_models

    shots = load_shots(load_key())
    if args.endpoint:
        endpoint, close = await mmlu_models.configured_endpoint(args.endpoint)
        ask = mmlu_models.endpoint_ask(endpoint, shots)
        return f"endpoint {args.endpoint} (free text, first letter)", ask, close
    from router.models.bundled import assemble_bundled

    model = assemble_bundled(scratch) if args.model == "bundled" else Path(args.model)
    scorer = await mmlu_models.local_scorer(model, shots)
    prompts = load_calibration(load_key())
    await asyncio.to_thread(scorer.calibrate, prompts)
    label = f"{model.name} (preferred letter, bias from {len(prompts)} prompts)"
    return label, scorer.ask, scorer.aclose


async def _main(args: argparse.Namespace) -> int:
    questions = load_questions(args.sample, load_key())
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        name, ask, close = await model_under_test(args, Path(scratch))
        print(f"model: {name}; {len(questions)} MMLU questions (seed 0)")
        print(f"{time.perf_counter() - started:.0f} s to load (and calibrate)")
        try:
            lines, figures = await run(questions, ask)
        finally:
            await close()
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run (or write the answer key)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", default="bundled", help="'bundled' or a .gguf path")
    which.add_argument("--endpoint", default=None, help="an [[endpoints]] name of the config")
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
